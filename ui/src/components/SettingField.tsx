// One labelled field of a settings row: its name in the row's label style, then the input. The
// row (`.setting`, or a form that lays its fields out its own way, like the tunnel's) decides
// whether the name sits beside the field or above it; clicking the name focuses the field.

import type { ReactNode } from "react";

interface Props {
  label: ReactNode;
  /** a longer explanation, shown when the pointer rests on the name */
  title?: string;
  /** `setting` when the field is a whole row on its own */
  className?: string;
  children: ReactNode;
}

export function SettingField({ label, title, className, children }: Props) {
  return (
    <label className={className}>
      <span className="setting-label" title={title}>
        {label}
      </span>
      {children}
    </label>
  );
}
