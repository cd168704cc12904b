import { describe, expect, it } from "vitest";
import type { Json } from "../../api/types";
import {
  activeFilterCount,
  defaultViewState,
  emptyFilters,
  toCallQuery,
  viewStateFromJson,
  viewStateToJson,
  type ViewState,
} from "./viewState";

describe("toCallQuery", () => {
  it("sends only the sort when nothing is filtered", () => {
    expect(toCallQuery(defaultViewState)).toEqual({ sort: "time", order: "desc" });
  });

  it("maps every filter onto the contract's fields", () => {
    const view: ViewState = {
      sort: "duration",
      order: "asc",
      filters: {
        statuses: ["completed", "busy"],
        from: "2025-03-01",
        to: "2025-03-04",
        objective: "no",
        campaign: "Spring renewals",
        hasRecording: true,
        phone: " 4155550123 ",
        recoveredOnly: true,
        review: "any",
        tags: [],
        vars: [],
      },
    };
    expect(toCallQuery(view, "  refund  ")).toEqual({
      sort: "duration",
      order: "asc",
      search: "refund",
      statuses: ["completed", "busy"],
      from_ms: new Date(2025, 2, 1).getTime(),
      // "to" is inclusive for the user: the bound is the start of the next local day
      to_ms: new Date(2025, 2, 5).getTime(),
      objective: false,
      campaign: "Spring renewals",
      has_recording: true,
      phone: "4155550123",
      recovered: true,
    });
  });

  it("maps objective yes to true and leaves out blank text", () => {
    const q = toCallQuery({ ...defaultViewState, filters: { ...emptyFilters, objective: "yes", phone: "   " } }, " ");
    expect(q.objective).toBe(true);
    expect(q).not.toHaveProperty("phone");
    expect(q).not.toHaveProperty("search");
  });

  it("ignores a malformed date", () => {
    const q = toCallQuery({ ...defaultViewState, filters: { ...emptyFilters, from: "yesterday" } });
    expect(q).not.toHaveProperty("from_ms");
  });
});

describe("persisted view state", () => {
  it("round-trips through JSON", () => {
    const view: ViewState = {
      sort: "duration",
      order: "asc",
      filters: { ...emptyFilters, statuses: ["failed"], from: "2025-01-31", objective: "yes", phone: "555" },
    };
    expect(viewStateFromJson(JSON.parse(JSON.stringify(viewStateToJson(view))) as Json)).toEqual(view);
  });

  it("falls back to defaults for anything malformed", () => {
    expect(viewStateFromJson(null)).toEqual(defaultViewState);
    expect(viewStateFromJson("garbage")).toEqual(defaultViewState);
    const v = viewStateFromJson({ sort: "nope", filters: { statuses: [1, "busy"], from: "x", objective: "maybe" } });
    expect(v.sort).toBe("time");
    expect(v.filters.statuses).toEqual(["busy"]);
    expect(v.filters.from).toBe("");
    expect(v.filters.objective).toBe("any");
  });

  it("counts active filters", () => {
    expect(activeFilterCount(emptyFilters)).toBe(0);
    expect(activeFilterCount({ ...emptyFilters, from: "2025-01-01", to: "2025-01-02", hasRecording: true })).toBe(2);
  });
});
