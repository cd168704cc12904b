// Settings → Tags: the team's tag list (name and colour), with how many calls carry each.
// Deleting a tag takes it off every call.

import { useState, type SyntheticEvent } from "react";
import { deleteTag, saveTag } from "../../api/client";
import { useNotify } from "../../app/notify";
import { formatCount } from "../../format";
import { TagChip } from "../review/ReviewBadges";
import { useReview } from "../review/ReviewContext";
import { TAG_PALETTE } from "../review/TagEditor";

export function TagSettings() {
  const notify = useNotify();
  const { tags, setTags } = useReview();
  const [name, setName] = useState("");
  const [color, setColor] = useState(TAG_PALETTE[0] ?? "#3b5bdb");
  const [confirm, setConfirm] = useState<string | null>(null);

  const save = async (n: string, c: string) => {
    try {
      setTags(await saveTag(n, c));
      return true;
    } catch (e) {
      notify.error(e);
      return false;
    }
  };
  const add = async (e: SyntheticEvent) => {
    e.preventDefault();
    const n = name.trim();
    if (!n) return;
    if (await save(n, color)) {
      setName("");
      setColor(TAG_PALETTE[(tags.length + 1) % TAG_PALETTE.length] ?? color);
    }
  };
  const remove = async (n: string) => {
    try {
      setTags(await deleteTag(n));
      setConfirm(null);
    } catch (e) {
      notify.error(e);
    }
  };

  return (
    <section className="card" data-testid="tag-settings">
      <h2>Tags</h2>
      <p className="dim small">The team's tags, for marking calls in the log and the call detail.</p>
      <ul className="tag-list">
        {tags.map((t) => (
          <li key={t.name} className="tag-row" data-testid="tag-row" data-tag={t.name}>
            <input
              type="color"
              className="color-input"
              aria-label={`Colour of ${t.name}`}
              value={t.color}
              onChange={(e) => void save(t.name, e.target.value)}
            />
            <TagChip name={t.name} tags={tags} />
            <span className="dim small">{formatCount(t.count)} calls</span>
            <span className="spacer" />
            {confirm === t.name ? (
              <>
                <span className="small">Take it off {formatCount(t.count)} calls?</span>
                <button type="button" className="btn btn-small btn-danger" onClick={() => void remove(t.name)}>
                  Delete
                </button>
                <button type="button" className="btn btn-small" onClick={() => setConfirm(null)}>
                  Keep
                </button>
              </>
            ) : (
              <button type="button" className="btn btn-small btn-ghost" onClick={() => (t.count > 0 ? setConfirm(t.name) : void remove(t.name))}>
                Delete
              </button>
            )}
          </li>
        ))}
        {tags.length === 0 && <li className="dim small">No tags yet.</li>}
      </ul>
      <form className="port-form" onSubmit={(e) => void add(e)}>
        <input type="color" className="color-input" aria-label="Colour of the new tag" value={color} onChange={(e) => setColor(e.target.value)} />
        <input
          className="input"
          placeholder="New tag, e.g. follow-up"
          aria-label="New tag name"
          data-testid="tag-settings-name"
          value={name}
          onChange={(e) => setName(e.target.value)}
        />
        <button type="submit" className="btn" data-testid="tag-settings-add" disabled={!name.trim()}>
          Add tag
        </button>
      </form>
    </section>
  );
}
