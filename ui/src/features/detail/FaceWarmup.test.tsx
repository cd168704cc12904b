import { act, render, screen } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { FaceWarmup, WARM_AFTER_MS } from "./FaceWarmup";

afterEach(() => {
  vi.useRealTimers();
});

describe("FaceWarmup", () => {
  it("lays the detail's faces out once, hidden, after launch, and removes them", () => {
    vi.useFakeTimers();
    const read = vi.spyOn(HTMLElement.prototype, "offsetHeight", "get");
    render(<FaceWarmup />);
    // Nothing at launch: the first rows come first.
    expect(screen.queryByTestId("face-warmup")).toBeNull();
    act(() => void vi.advanceTimersByTime(WARM_AFTER_MS - 1));
    expect(screen.queryByTestId("face-warmup")).toBeNull();
    act(() => void vi.advanceTimersByTime(1));
    const box = screen.getByTestId("face-warmup");
    expect(box).toHaveAttribute("aria-hidden", "true");
    expect(box).toHaveClass("face-warmup");
    // The detail's faces, each laid out (a layout value was read while they were in).
    const spans = box.querySelectorAll("span");
    expect(spans.length).toBe(8);
    expect(new Set([...spans].map((s) => s.style.fontFamily))).toEqual(new Set(["var(--font)", "var(--mono)"]));
    expect(read).toHaveBeenCalled();
    act(() => void vi.advanceTimersByTime(0));
    expect(screen.queryByTestId("face-warmup")).toBeNull();
    // Once: it does not come back.
    act(() => void vi.advanceTimersByTime(WARM_AFTER_MS * 10));
    expect(screen.queryByTestId("face-warmup")).toBeNull();
    read.mockRestore();
  });
});
