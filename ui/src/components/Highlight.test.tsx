import { render } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { Highlight, searchTerms, splitOnTerms } from "./Highlight";

describe("search terms", () => {
  it("drops FTS syntax and operators", () => {
    expect(searchTerms('"refund please" AND bill*')).toEqual(["refund", "please", "bill"]);
    expect(searchTerms("   ")).toEqual([]);
  });
});

describe("splitOnTerms", () => {
  it("splits on case-insensitive matches, keeping the original case", () => {
    expect(splitOnTerms("Refund the refund.", ["refund"])).toEqual([
      { text: "Refund", hit: true },
      { text: " the ", hit: false },
      { text: "refund", hit: true },
      { text: ".", hit: false },
    ]);
  });

  it("treats regex characters in terms literally", () => {
    expect(splitOnTerms("costs $5 (five)", ["(five)"]).filter((p) => p.hit)).toEqual([{ text: "(five)", hit: true }]);
  });

  it("returns the text whole without terms", () => {
    expect(splitOnTerms("abc", [])).toEqual([{ text: "abc", hit: false }]);
  });
});

describe("Highlight", () => {
  it("marks hits with <mark> and keeps markup in the text literal", () => {
    const { container } = render(<Highlight text="<b>refund</b> now" terms={["refund"]} />);
    expect(container.querySelector("mark")).toHaveTextContent("refund");
    expect(container.querySelector("b")).toBeNull();
    expect(container).toHaveTextContent("<b>refund</b> now");
  });
});
