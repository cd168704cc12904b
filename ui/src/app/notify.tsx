// Toasts for failed commands and short confirmations. A failed command's message already says
// what to do, so it is shown verbatim; errors stay until dismissed, confirmations fade.

import { createContext, useCallback, useContext, useMemo, useRef, useState, type ReactNode } from "react";
import { toAppError } from "../api/client";

interface Toast {
  id: number;
  kind: "error" | "info";
  text: string;
}

export interface Notify {
  error: (e: unknown) => void;
  info: (text: string) => void;
}

const NotifyContext = createContext<Notify>({ error: () => undefined, info: () => undefined });

export function useNotify(): Notify {
  return useContext(NotifyContext);
}

export function NotifyProvider({ children }: { children: ReactNode }) {
  const [toasts, setToasts] = useState<Toast[]>([]);
  const nextId = useRef(1);

  const dismiss = useCallback((id: number) => {
    setToasts((ts) => ts.filter((t) => t.id !== id));
  }, []);

  const push = useCallback(
    (kind: Toast["kind"], text: string) => {
      const id = nextId.current++;
      setToasts((ts) => {
        // The same message twice in a row (e.g. every command failing offline) is shown once.
        if (ts.some((t) => t.text === text)) return ts;
        return [...ts.slice(-4), { id, kind, text }];
      });
      if (kind === "info") setTimeout(() => dismiss(id), 2500);
    },
    [dismiss],
  );

  const notify = useMemo<Notify>(
    () => ({
      error: (e) => {
        const err = toAppError(e);
        // Without a back end the window shows one banner for it, not a toast per command.
        if (err.code !== "no_backend") push("error", err.message);
      },
      info: (text) => push("info", text),
    }),
    [push],
  );

  return (
    <NotifyContext.Provider value={notify}>
      {children}
      <div className="toasts" role="status" aria-live="polite">
        {toasts.map((t) => (
          <div key={t.id} className={`toast toast-${t.kind}`} role={t.kind === "error" ? "alert" : undefined}>
            <span className="toast-text">{t.text}</span>
            <button type="button" className="toast-close" aria-label="Dismiss" onClick={() => dismiss(t.id)}>
              ×
            </button>
          </div>
        ))}
      </div>
    </NotifyContext.Provider>
  );
}
