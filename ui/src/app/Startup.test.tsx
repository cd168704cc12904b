import { act, render, screen } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { setTransport } from "../api/client";
import type { Startup } from "../api/types";
import { StartupGate } from "./Startup";

vi.mock("@tauri-apps/api/core", () => ({ invoke: vi.fn() }));
vi.mock("@tauri-apps/api/event", () => ({ listen: vi.fn() }));
vi.mock("@tauri-apps/plugin-clipboard-manager", () => ({ writeText: vi.fn() }));

/** A back end that answers `get_startup` with `first` and lets the test send `startup` events. */
function backEnd(first: Startup | Error) {
  let emit: (s: Startup) => void = () => undefined;
  setTransport({
    invoke: (cmd) =>
      cmd === "get_startup"
        ? first instanceof Error
          ? Promise.reject(first)
          : Promise.resolve(first)
        : Promise.reject(new Error(`unexpected ${cmd}`)),
    listen: (event, cb) => {
      if (event === "startup") emit = cb;
      return Promise.resolve(() => undefined);
    },
  });
  return (s: Startup) => {
    act(() => emit(s));
  };
}

const opening = (what: string, done: number, total: number): Startup => ({
  state: "opening",
  step: { what, unit: total > 0 ? "calls" : "", done, total },
  error: null,
});

async function settle(ms = 0) {
  await act(async () => {
    await vi.advanceTimersByTimeAsync(ms);
  });
}

describe("StartupGate", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("shows a slow step's progress, then the app", async () => {
    const send = backEnd(opening("Building the search index", 0, 200_000));
    render(<StartupGate>the app</StartupGate>);
    await settle();
    expect(screen.queryByTestId("startup")).toBeNull();
    await settle(400);
    expect(screen.getByTestId("startup-step")).toHaveTextContent("Building the search index…");
    send(opening("Building the search index", 50_000, 200_000));
    expect(screen.getByTestId("startup-count")).toHaveTextContent("50,000 of 200,000 calls (25%)");
    expect(screen.getByTestId("startup-progress")).toHaveAttribute("value", "50000");
    expect(screen.queryByText("the app")).toBeNull();
    send({ state: "ready", step: null, error: null });
    expect(screen.getByText("the app")).toBeInTheDocument();
    expect(screen.queryByTestId("startup")).toBeNull();
  });

  it("goes straight to the app when the folder opens quickly, with no flash", async () => {
    backEnd({ state: "ready", step: null, error: null });
    render(<StartupGate>the app</StartupGate>);
    await settle();
    expect(screen.getByText("the app")).toBeInTheDocument();
  });

  it("does not fall back to opening when the answer arrives after the ready event", async () => {
    const send = backEnd(opening("Upgrading the database", 0, 0));
    render(<StartupGate>the app</StartupGate>);
    send({ state: "ready", step: null, error: null });
    await settle(400);
    expect(screen.getByText("the app")).toBeInTheDocument();
  });

  it("an indeterminate step shows a spinner", async () => {
    backEnd(opening("Upgrading the database", 0, 0));
    render(<StartupGate>the app</StartupGate>);
    await settle(400);
    expect(screen.getByTestId("startup-step")).toHaveTextContent("Upgrading the database…");
    expect(screen.getByRole("progressbar", { name: "Working…" })).toBeInTheDocument();
    expect(screen.queryByTestId("startup-count")).toBeNull();
  });

  it("says why the folder could not be opened, as text", async () => {
    const error = "the database <b>x</b> was written by a newer Postcall; update Postcall";
    backEnd({ state: "failed", step: null, error });
    render(<StartupGate>the app</StartupGate>);
    await settle();
    expect(screen.getByTestId("startup-error").textContent).toBe(error);
    expect(screen.getByTestId("startup-error").querySelector("b")).toBeNull();
    expect(screen.queryByText("the app")).toBeNull();
  });

  it("without a back end that knows the command, shows the app", async () => {
    backEnd(new Error("unknown command get_startup"));
    render(<StartupGate>the app</StartupGate>);
    await settle();
    expect(screen.getByText("the app")).toBeInTheDocument();
  });
});
