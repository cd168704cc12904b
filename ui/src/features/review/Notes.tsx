// Notes pinned to a moment of a call: a composer (opened by N or the button) that remembers the
// turn and playback time it was opened at, and the note itself, shown inline in the transcript.
// A note is plain text from a teammate or an import: rendered as a text node, never as markup.
// Only its author may edit or delete it.

import { useState, type KeyboardEvent } from "react";
import type { Note } from "../../api/types";
import { formatDateTime } from "../../format";
import { clock } from "../player/time";

/** Where a new note will be pinned. */
export interface NoteTarget {
  turn: number | null;
  at: number | null;
}

export function targetText(t: NoteTarget): string {
  const parts = [];
  if (t.turn !== null) parts.push(`turn ${t.turn + 1}`);
  if (t.at !== null) parts.push(clock(t.at));
  return parts.length > 0 ? `at ${parts.join(", ")}` : "on the whole call";
}

function submitKeys(e: KeyboardEvent<HTMLTextAreaElement>, save: () => void, cancel: () => void) {
  if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
    e.preventDefault();
    save();
  } else if (e.key === "Escape") {
    e.preventDefault();
    cancel();
  }
}

export function NoteComposer({
  target,
  onSave,
  onCancel,
}: {
  target: NoteTarget;
  onSave: (text: string) => Promise<boolean>;
  onCancel: () => void;
}) {
  const [text, setText] = useState("");
  const [busy, setBusy] = useState(false);
  const save = async () => {
    if (!text.trim() || busy) return;
    setBusy(true);
    const ok = await onSave(text.trim());
    setBusy(false);
    if (ok) setText("");
  };
  return (
    <div className="note-composer" data-testid="note-composer">
      <div className="note-meta">
        <span>New note {targetText(target)}</span>
        <span className="dim">Ctrl+Enter saves · Esc cancels</span>
      </div>
      <textarea
        className="input note-input"
        data-testid="note-text"
        aria-label="Note"
        autoFocus
        rows={2}
        value={text}
        onChange={(e) => setText(e.target.value)}
        onKeyDown={(e) => submitKeys(e, () => void save(), onCancel)}
      />
      <div className="note-actions">
        <button type="button" className="btn btn-small" onClick={onCancel} disabled={busy}>
          Cancel
        </button>
        <button
          type="button"
          className="btn btn-small btn-primary"
          data-testid="note-save"
          onClick={() => void save()}
          disabled={busy || !text.trim()}
        >
          Save note
        </button>
      </div>
    </div>
  );
}

export function NoteItem({
  note,
  mine,
  onSeek,
  onEdit,
  onDelete,
  as: Tag = "li",
}: {
  note: Note;
  mine: boolean;
  /** jump to the note's moment; absent when it has none that can be played */
  onSeek?: () => void;
  onEdit: (text: string) => Promise<boolean>;
  onDelete: () => void;
  as?: "li" | "div";
}) {
  const [editing, setEditing] = useState<string | null>(null);
  const save = async () => {
    if (editing === null || !editing.trim()) return;
    if (await onEdit(editing.trim())) setEditing(null);
  };
  return (
    <Tag
      className={`note${onSeek ? " note-seekable" : ""}`}
      data-testid="note"
      data-turn={note.turn ?? ""}
      data-note-id={note.id}
      onClick={(e) => {
        if (editing !== null || !onSeek) return;
        if ((e.target as HTMLElement).closest("button, textarea")) return;
        onSeek();
      }}
      title={onSeek ? "Play from this note" : undefined}
    >
      <div className="note-meta">
        <span className="note-author">{note.author_name || note.author}</span>
        {note.at_seconds !== null && <span className="mono">{clock(note.at_seconds)}</span>}
        <span className="dim" title={note.created_at}>
          {formatDateTime(Date.parse(note.created_at) || null)}
          {note.edited_at ? " · edited" : ""}
        </span>
        {mine && editing === null && (
          <span className="note-tools">
            <button type="button" className="link small" data-testid="note-edit" onClick={() => setEditing(note.text)}>
              Edit
            </button>
            <button type="button" className="link small danger" data-testid="note-delete" onClick={onDelete}>
              Delete
            </button>
          </span>
        )}
      </div>
      {editing === null ? (
        <div className="note-text">{note.text}</div>
      ) : (
        <>
          <textarea
            className="input note-input"
            aria-label="Edit note"
            data-testid="note-edit-text"
            autoFocus
            rows={2}
            value={editing}
            onChange={(e) => setEditing(e.target.value)}
            onKeyDown={(e) => submitKeys(e, () => void save(), () => setEditing(null))}
          />
          <div className="note-actions">
            <button type="button" className="btn btn-small" onClick={() => setEditing(null)}>
              Cancel
            </button>
            <button type="button" className="btn btn-small btn-primary" onClick={() => void save()} disabled={!editing.trim()}>
              Save
            </button>
          </div>
        </>
      )}
    </Tag>
  );
}
