import { beforeEach, describe, expect, it, vi } from "vitest";
import { invoke } from "@tauri-apps/api/core";
import { getCall, setTransport, toAppError } from "./client";

vi.mock("@tauri-apps/api/core", () => ({ invoke: vi.fn() }));
vi.mock("@tauri-apps/api/event", () => ({ listen: vi.fn() }));
vi.mock("@tauri-apps/plugin-clipboard-manager", () => ({ writeText: vi.fn() }));

const invokeMock = vi.mocked(invoke);

// Command names and argument names are checked against the Rust side in tests/tests/contract.rs.
describe("command wrappers", () => {
  beforeEach(() => {
    invokeMock.mockReset();
    setTransport({ invoke: (cmd, args) => invoke(cmd, args), listen: () => Promise.resolve(() => undefined) });
  });

  it("reject with {code, message} whatever the back end threw", async () => {
    invokeMock.mockRejectedValueOnce({ code: "not_found", message: "No call #3." });
    await expect(getCall(3)).rejects.toMatchObject({ code: "not_found", message: "No call #3." });
    invokeMock.mockRejectedValueOnce("plain string");
    await expect(getCall(3)).rejects.toMatchObject({ code: "unexpected", message: "plain string" });
  });
});

describe("toAppError", () => {
  it("normalises anything", () => {
    expect(toAppError(new Error("boom"))).toEqual({ code: "unexpected", message: "boom" });
    expect(toAppError(undefined)).toEqual({ code: "unexpected", message: "Something went wrong." });
    expect(toAppError({ code: "x", message: "y", extra: 1 })).toEqual({ code: "x", message: "y" });
  });
});
