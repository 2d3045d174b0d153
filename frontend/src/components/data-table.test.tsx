import { render } from "preact";
import { act } from "preact/test-utils";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { lang } from "../lib/i18n";
import { type Column, DataTable, Notice } from "./data-table";

interface Row {
  id: number;
  name: string;
}

const columns: Column<Row>[] = [
  { head: "N°", cell: (r) => r.id },
  { head: "Nom", cell: (r) => <strong>{r.name}</strong>, class: "nowrap" },
];

let root: HTMLElement;

beforeEach(() => {
  lang.value = "fr";
  root = document.createElement("div");
});

afterEach(() => render(null, root));

const show = (node: preact.ComponentChild) => act(() => render(node, root));

describe("DataTable", () => {
  it("says it is loading until the rows come", async () => {
    await show(<DataTable rows={null} columns={columns} rowKey={(r) => r.id} testId="things" />);
    expect(root.querySelector("p.loading")?.textContent).toBe("Chargement…");
    expect(root.querySelector("table")).toBeNull();
  });

  it("says why the first load failed, without a loading line, and retries", async () => {
    const retry = vi.fn();
    await show(<DataTable rows={null} columns={columns} rowKey={(r) => r.id} error="HTTP 503" retry={retry} />);
    expect(root.querySelector("p.loading")).toBeNull();
    const banner = root.querySelector('p.error[role="alert"]');
    expect(banner?.textContent).toContain("HTTP 503");
    await act(() => (root.querySelector('[data-testid="retry"]') as HTMLButtonElement).click());
    expect(retry).toHaveBeenCalledOnce();
  });

  it("says when there is no row, in the page's words", async () => {
    await show(<DataTable rows={[]} columns={columns} rowKey={(r) => r.id} empty="Aucune chose." emptyTestId="things-empty" />);
    expect(root.querySelector('p.empty[data-testid="things-empty"]')?.textContent).toBe("Aucune chose.");
    await show(<DataTable rows={[]} columns={columns} rowKey={(r) => r.id} />);
    expect(root.querySelector("p.empty")?.textContent).toBe("Aucun élément.");
  });

  it("draws one header and one cell per column, rows with their attributes", async () => {
    const rows = [
      { id: 1, name: "Mairie" },
      { id: 2, name: "Gare" },
    ];
    await show(
      <DataTable
        rows={rows}
        columns={[...columns, false, { head: "", cell: () => <button type="button">x</button> }]}
        rowKey={(r) => r.id}
        rowProps={(r) => ({ "data-testid": "thing", "data-id": r.id, class: r.id === 2 ? "fresh" : "" })}
        testId="things"
        class="compact"
        caption={<p class="muted">2</p>}
      />,
    );
    const table = root.querySelector('table[data-testid="things"]');
    expect(table?.className).toBe("list compact");
    expect([...root.querySelectorAll("th")].map((th) => th.textContent)).toEqual(["N°", "Nom", ""]);
    const trs = root.querySelectorAll('tbody tr[data-testid="thing"]');
    expect(trs).toHaveLength(2);
    expect(trs[1].getAttribute("data-id")).toBe("2");
    expect(trs[1].className).toBe("fresh");
    expect(trs[0].querySelector("td.nowrap strong")?.textContent).toBe("Mairie");
    expect(root.querySelector("p.muted")?.textContent).toBe("2");
    expect(root.querySelector("td[data-label]")).toBeNull();
  });

  it("keeps the rows under an error (a failed refresh), and can label cells for narrow screens", async () => {
    await show(<DataTable rows={[{ id: 1, name: "Mairie" }]} columns={columns} rowKey={(r) => r.id} error="stale" labelled />);
    expect(root.querySelector("p.error")?.textContent).toBe("stale");
    expect([...root.querySelectorAll("td")].map((td) => td.getAttribute("data-label"))).toEqual(["N°", "Nom"]);
  });

  it("offers the next page only when there is one", async () => {
    const more = vi.fn();
    await show(<DataTable rows={[{ id: 1, name: "a" }]} columns={columns} rowKey={(r) => r.id} more={more} />);
    await act(() => (root.querySelector("button") as HTMLButtonElement).click());
    expect(more).toHaveBeenCalledOnce();
    expect(root.querySelector("button")?.textContent).toBe("Plus anciens");
    await show(<DataTable rows={[{ id: 1, name: "a" }]} columns={columns} rowKey={(r) => r.id} more={null} />);
    expect(root.querySelector("button")).toBeNull();
  });
});

describe("Notice", () => {
  it("says an action's outcome: a status when done, an alert when refused", async () => {
    await show(<Notice notice={{ ok: true, text: "Enregistré." }} />);
    expect(root.querySelector('p.notice[role="status"]')?.textContent).toBe("Enregistré.");
    await show(<Notice notice={{ ok: false, text: "Refusé." }} />);
    expect(root.querySelector('p.error[role="alert"]')?.textContent).toBe("Refusé.");
    await show(<Notice notice={null} />);
    expect(root.innerHTML).toBe("");
  });
});
