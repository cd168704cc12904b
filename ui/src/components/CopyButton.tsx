import { useEffect, useState } from "react";
import { copyText } from "../api/client";
import { useNotify } from "../app/notify";
import { Icon } from "./Icon";

interface Props {
  /** the text, or a function producing it (e.g. a command) when clicked */
  text: string | (() => Promise<string> | string);
  label?: string;
  className?: string;
  testId?: string;
}

export function CopyButton({ text, label = "Copy", className, testId }: Props) {
  const notify = useNotify();
  const [copied, setCopied] = useState(false);
  useEffect(() => {
    if (!copied) return;
    const t = setTimeout(() => setCopied(false), 1500);
    return () => clearTimeout(t);
  }, [copied]);

  const onClick = async () => {
    try {
      const value = typeof text === "string" ? text : await text();
      await copyText(value);
      setCopied(true);
    } catch (e) {
      notify.error(e);
    }
  };

  return (
    <button type="button" className={className ?? "btn"} onClick={() => void onClick()} data-testid={testId}>
      <Icon name={copied ? "check" : "copy"} size={14} />
      {copied ? "Copied" : label}
    </button>
  );
}
