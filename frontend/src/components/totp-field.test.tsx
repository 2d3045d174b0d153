import { render } from "preact";
import { act } from "preact/test-utils";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { TotpField } from "./totp-field";

let root: HTMLElement;

beforeEach(() => {
  root = document.createElement("div");
});

afterEach(() => render(null, root));

const input = () => root.querySelector("input") as HTMLInputElement;

describe("TotpField", () => {
  it("asks for a one-time code on the numeric keypad, named as the API names it", async () => {
    await act(() => render(<TotpField label="Code" value="" onValue={() => undefined} />, root));
    expect(root.querySelector("label")?.textContent).toContain("Code");
    expect(input().name).toBe("code");
    expect(input().inputMode).toBe("numeric");
    expect(input().autocomplete).toBe("one-time-code");
    expect(input().required).toBe(true);
    expect(input().getAttribute("pattern")).toBeNull();
  });

  it("is optional and strict where the code may be left out, with its help", async () => {
    const onValue = vi.fn();
    await act(() =>
      render(
        <TotpField label="Code" name="totp" value="" onValue={onValue} required={false} strict>
          <small>six chiffres</small>
        </TotpField>,
        root,
      ),
    );
    expect(input().name).toBe("totp");
    expect(input().required).toBe(false);
    expect(input().getAttribute("pattern")).toBe("[0-9]{6}");
    expect(input().maxLength).toBe(6);
    expect(root.querySelector("small")?.textContent).toBe("six chiffres");
    input().value = "123456";
    await act(() => {
      input().dispatchEvent(new Event("input", { bubbles: true }));
    });
    expect(onValue).toHaveBeenCalledWith("123456");
  });
});
