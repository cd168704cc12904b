// A call's tags in the detail: chips with a remove button, and "+ Tag" offering the team's tags
// (a new name is added to the team list first, with the next colour of the palette).

import { useState, type SyntheticEvent } from "react";
import { saveTag } from "../../api/client";
import { TagChip } from "./ReviewBadges";
import { useReview } from "./ReviewContext";
import { useMenu } from "./ReviewFilters";

export const TAG_PALETTE = ["#3b5bdb", "#2f9e44", "#e8590c", "#c92a2a", "#9c36b5", "#0c8599", "#f08c00", "#495057"];

interface Props {
  tags: string[];
  onChange: (add: string[], remove: string[]) => void;
}

export function TagEditor({ tags, onChange }: Props) {
  const review = useReview();
  const { open, setOpen, box } = useMenu();
  const [name, setName] = useState("");
  const offered = review.tags.filter((t) => !tags.includes(t.name));
  const typed = name.trim();
  const exists = review.tags.some((t) => t.name === typed);

  const create = async (e: SyntheticEvent) => {
    e.preventDefault();
    if (!typed) return;
    if (!exists) {
      const color = TAG_PALETTE[review.tags.length % TAG_PALETTE.length] ?? "#3b5bdb";
      const list = await review.run(() => saveTag(typed, color));
      if (!list) return;
      review.setTags(list);
    }
    if (!tags.includes(typed)) onChange([typed], []);
    setName("");
    setOpen(false);
  };

  return (
    <div className="tag-editor" data-testid="tag-editor">
      {tags.map((t) => (
        <TagChip key={t} name={t} tags={review.tags} onRemove={() => onChange([], [t])} />
      ))}
      <div className="menu" ref={box}>
        <button
          type="button"
          className="btn btn-small btn-ghost"
          data-testid="tag-add"
          aria-haspopup="true"
          aria-expanded={open}
          onClick={() => setOpen((o) => !o)}
        >
          + Tag
        </button>
        {open && (
          <div className="menu-panel" role="group" aria-label="Add a tag">
            {offered.map((t) => (
              <button
                key={t.name}
                type="button"
                className="menu-item menu-button"
                data-testid="tag-option"
                data-tag={t.name}
                onClick={() => {
                  onChange([t.name], []);
                  setOpen(false);
                }}
              >
                <span className="menu-item-label">
                  <TagChip name={t.name} tags={review.tags} />
                </span>
                <span className="menu-count">{t.count}</span>
              </button>
            ))}
            <form className="tag-new" onSubmit={(e) => void create(e)}>
              <input
                className="input"
                placeholder="New tag…"
                aria-label="New tag name"
                data-testid="tag-new-name"
                value={name}
                onChange={(e) => setName(e.target.value)}
              />
              <button type="submit" className="btn btn-small" disabled={!typed}>
                {exists ? "Add" : "Create"}
              </button>
            </form>
          </div>
        )}
      </div>
    </div>
  );
}
