import { act, configure, fireEvent, render, screen, within } from "@testing-library/react";
import { beforeEach, describe, expect, it, vi } from "vitest";
import * as client from "../../api/client";
import type { CallsChanged } from "../../api/types";
import { defaultViewState, toCallQuery, viewStateFromJson, viewStateToJson, type ViewState } from "../calls/viewState";
import { VarFilters, varFilterText } from "./ReviewFilters";

vi.mock("../../api/client", async (importOriginal) => {
  const actual = await importOriginal<typeof import("../../api/client")>();
  return { ...actual, variableNames: vi.fn(), onCallsChanged: vi.fn() };
});

const m = vi.mocked(client);
let callsChanged: (p: CallsChanged) => void = () => undefined;

// Whole panels render against mocked commands: allow for a slow, shared machine.
configure({ asyncUtilTimeout: 5000 });
vi.setConfig({ testTimeout: 30_000 });

beforeEach(() => {
  vi.clearAllMocks();
  m.variableNames.mockResolvedValue([
    { name: "budget", kind: "number" },
    { name: "callback_requested", kind: "boolean" },
    { name: "lead_quality", kind: "text" },
  ]);
  m.onCallsChanged.mockImplementation((cb) => {
    callsChanged = cb;
    return Promise.resolve(() => undefined);
  });
});

describe("review filters in the query", () => {
  it("sends my email for 'mine' filters only, tags and variable filters", () => {
    const view: ViewState = {
      ...defaultViewState,
      filters: { ...defaultViewState.filters, review: "mine_unreviewed", tags: ["vip"], vars: [{ name: "budget", op: "gt", value: "1000" }] },
    };
    expect(toCallQuery(view, "", "sam@example.com")).toMatchObject({
      review_state: "unreviewed",
      reviewer: "sam@example.com",
      tags: ["vip"],
      vars: [{ name: "budget", op: "gt", value: "1000" }],
    });
    const anyone = toCallQuery({ ...view, filters: { ...view.filters, review: "anyone_flagged" } }, "", "sam@example.com");
    expect(anyone.review_state).toBe("flagged");
    expect(anyone.reviewer).toBeUndefined();
    expect(toCallQuery(defaultViewState, "", "sam@example.com")).not.toHaveProperty("review_state");
  });

  it("persists them and reads back only what it knows", () => {
    const view: ViewState = {
      ...defaultViewState,
      filters: { ...defaultViewState.filters, review: "anyone_flagged", tags: ["a"], vars: [{ name: "x", op: "missing", value: null }] },
    };
    expect(viewStateFromJson(viewStateToJson(view))).toEqual(view);
    const odd = viewStateFromJson({ filters: { review: "toString", tags: [1, "b"], vars: [{ name: "y", op: "drop table" }, "z"] } });
    expect(odd.filters.review).toBe("any");
    expect(odd.filters.tags).toEqual(["b"]);
    expect(odd.filters.vars).toEqual([]);
  });
});

describe("VarFilters", () => {
  it("adds a typed filter picked from the variable names and removes it as a chip", async () => {
    const onChange = vi.fn();
    const { rerender } = render(<VarFilters filters={[]} onChange={onChange} />);
    fireEvent.click(screen.getByTestId("var-filter-add"));
    const form = screen.getByTestId("var-filter");
    // The picker lists the variables the calls have, with their kinds.
    await within(form).findByRole("option", { name: "budget (number)" });
    fireEvent.change(within(form).getByTestId("var-filter-name"), { target: { value: "budget" } });
    const ops = within(form).getByTestId("var-filter-op");
    expect([...(ops as HTMLSelectElement).options].map((o) => o.textContent)).toEqual(["=", ">", "≥", "<", "≤", "is missing"]);
    fireEvent.change(ops, { target: { value: "gt" } });
    fireEvent.change(within(form).getByTestId("var-filter-value"), { target: { value: "lots" } });
    fireEvent.click(within(form).getByTestId("var-filter-apply"));
    expect(within(form).getByText("That is not a number.")).toBeInTheDocument();
    expect(onChange).not.toHaveBeenCalled();
    fireEvent.change(within(form).getByTestId("var-filter-value"), { target: { value: "1000" } });
    fireEvent.click(within(form).getByTestId("var-filter-apply"));
    expect(onChange).toHaveBeenCalledWith([{ name: "budget", op: "gt", value: "1000" }]);

    // Booleans take no value.
    fireEvent.click(screen.getByTestId("var-filter-add"));
    fireEvent.change(screen.getByTestId("var-filter-name"), { target: { value: "callback_requested" } });
    expect(screen.getByTestId("var-filter-op")).toHaveValue("is_true");
    expect(screen.queryByTestId("var-filter-value")).toBeNull();

    rerender(<VarFilters filters={[{ name: "budget", op: "gt", value: "1000" }, { name: "x", op: "missing" }]} onChange={onChange} />);
    const chips = screen.getAllByTestId("var-filter-chip");
    expect(chips.map((c) => c.textContent)).toEqual(["budget > 1000×", "x is missing×"]);
    fireEvent.click(screen.getByRole("button", { name: "Remove filter budget > 1000" }));
    expect(onChange).toHaveBeenLastCalledWith([{ name: "x", op: "missing" }]);
    expect(varFilterText({ name: "lead_quality", op: "eq", value: "high" })).toBe("lead_quality = high");
  });

  it("lists a variable that new calls bring while the picker is open", async () => {
    render(<VarFilters filters={[]} onChange={vi.fn()} />);
    fireEvent.click(screen.getByTestId("var-filter-add"));
    const form = screen.getByTestId("var-filter");
    await within(form).findByRole("option", { name: "budget (number)" });
    expect(within(form).getByTestId("var-filter-name")).toHaveValue("budget");
    m.variableNames.mockResolvedValue([
      { name: "budget", kind: "number" },
      { name: "callback_requested", kind: "boolean" },
      { name: "lead_quality", kind: "text" },
      { name: "renewal_date", kind: "text" },
    ]);
    act(() => callsChanged({ ids: [9], total: 9 }));
    expect(await within(form).findByRole("option", { name: "renewal_date (text)" })).toBeInTheDocument();
    // The pick stays.
    expect(within(form).getByTestId("var-filter-name")).toHaveValue("budget");
  });
});
