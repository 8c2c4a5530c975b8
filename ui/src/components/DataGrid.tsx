/**
 * The app's grid: TanStack Table (headless columns, resizing) over TanStack Virtual (only the
 * rows in view are in the page), so a 5,017-step runbook scrolls as lightly as a 34-step one.
 * The grid scrolls inside its own box, which keeps the header sticky at the top whatever the
 * page does. Rows are focusable: ↑/↓, Home/End move, Enter activates (opens the row's editor or
 * its details), as a person at the keyboard expects of a spreadsheet.
 */
import { useEffect, useRef, useState, type KeyboardEvent, type ReactNode } from "react";
import { flexRender, getCoreRowModel, useReactTable, type ColumnDef, type ColumnSizingState } from "@tanstack/react-table";
import { useVirtualizer } from "@tanstack/react-virtual";

/** What a column adds to TanStack's definition: right-aligned figures, a sort key. */
export type GridColumnMeta = { numeric?: boolean; sortable?: boolean; className?: string };

// TanStack's `ColumnDef<T, TValue>` is invariant in TValue: `any` is its own documented way to
// list columns of different value types.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type GridColumn<T> = ColumnDef<T, any> & { meta?: GridColumnMeta };

export type GridSort = { id: string; dir: "asc" | "desc" };

type Props<T> = {
  rows: readonly T[];
  columns: GridColumn<T>[];
  rowId: (row: T) => string;
  /** `data-testid` of the table and of each row. */
  testId: string;
  rowTestId: string;
  /** Accessible name of the grid. */
  label: string;
  /** Extra attributes of a row (`className`, `data-*`). */
  rowAttrs?: (row: T) => Record<string, string | undefined>;
  /** Cells of a row being edited, in place of its own (same columns, so nothing reflows). */
  editor?: { id: string; cells: (row: T) => ReactNode } | null;
  /** Enter (or F2) on a focused row. */
  onActivate?: (row: T) => void;
  /** A click on a row (not on a button in it). */
  onRowClick?: (row: T) => void;
  /** The row shown as chosen (its details open beside the grid). */
  selectedId?: string | null;
  sort?: GridSort;
  onSort?: (id: string) => void;
  /** A first guess of a row's height in px; rows are measured once drawn. */
  rowHeight?: number;
  /** The scrolling box's height (CSS), the grid's own scroll keeps the header in view. */
  height?: string;
};

// A header cell's padding (8 px a side) and its resize handle (7 px) beside the label's text.
const HEADER_CHROME_PX = 16 + 10;

let measureContext: CanvasRenderingContext2D | null | undefined;

/** The width of a header's text as the grid draws it (12 px, semibold), with room for the sort
 *  arrow; where no canvas can measure (tests), a generous per-character guess. */
function headerTextWidth(text: string): number {
  const label = `${text} ▼`;
  if (measureContext === undefined) {
    // jsdom has no canvas (and says so on the console).
    const canvas = typeof document !== "undefined" && !navigator.userAgent.includes("jsdom");
    measureContext = canvas ? document.createElement("canvas").getContext("2d") : null;
  }
  if (!measureContext) return label.length * 8;
  const family = getComputedStyle(document.body).fontFamily || "sans-serif";
  measureContext.font = `600 12px ${family}`;
  return measureContext.measureText(label).width;
}

/** `columns` each at least as wide as its header's text, so no header is cut however the
 *  column is sized or resized. */
function fitHeaders<T>(columns: GridColumn<T>[]): GridColumn<T>[] {
  return columns.map((c) => {
    if (typeof c.header !== "string" || c.header === "") return c;
    const least = Math.ceil(headerTextWidth(c.header)) + HEADER_CHROME_PX;
    return { ...c, size: Math.max(c.size ?? 150, least), minSize: Math.max(c.minSize ?? 0, least) };
  });
}

export function DataGrid<T>({
  rows,
  columns,
  rowId,
  testId,
  rowTestId,
  label,
  rowAttrs,
  editor,
  onActivate,
  onRowClick,
  selectedId,
  sort,
  onSort,
  rowHeight = 32,
  height = "min(68vh, 760px)",
}: Props<T>) {
  const [sizing, setSizing] = useState<ColumnSizingState>({});
  // TanStack keeps its state in a mutable instance: the React Compiler's memoisation must not
  // assume otherwise (the hooks rules flag both libraries for that reason).
  // eslint-disable-next-line react-hooks/incompatible-library
  const table = useReactTable({
    data: rows as T[],
    columns: fitHeaders(columns),
    getCoreRowModel: getCoreRowModel(),
    getRowId: (r) => rowId(r),
    columnResizeMode: "onChange",
    state: { columnSizing: sizing },
    onColumnSizingChange: setSizing,
  });
  const box = useRef<HTMLDivElement>(null);
  const model = table.getRowModel().rows;
  const virtualizer = useVirtualizer({
    count: model.length,
    getScrollElement: () => box.current,
    estimateSize: () => rowHeight,
    overscan: 12,
    getItemKey: (i) => model[i]?.id ?? i,
  });
  const items = virtualizer.getVirtualItems();
  const padTop = items[0]?.start ?? 0;
  const padBottom = virtualizer.getTotalSize() - (items.at(-1)?.end ?? 0);
  const columnCount = table.getVisibleLeafColumns().length;
  // The row to focus once it is drawn (after ↑/↓ scrolled it into view); cleared once focused,
  // so a later render never takes the focus from a field the person typed into.
  const pendingFocus = useRef<number | null>(null);
  const [, redraw] = useState(0);
  useEffect(() => {
    if (pendingFocus.current === null) return;
    const tr = box.current?.querySelector<HTMLTableRowElement>(`tr[data-index="${pendingFocus.current}"]`);
    if (tr) {
      tr.focus({ preventScroll: true });
      pendingFocus.current = null;
    }
  });

  function move(to: number) {
    const i = Math.max(0, Math.min(model.length - 1, to));
    virtualizer.scrollToIndex(i, { align: "auto" });
    pendingFocus.current = i;
    redraw((n) => n + 1);
  }

  function onKeyDown(e: KeyboardEvent<HTMLTableRowElement>, index: number, row: T) {
    // Keys typed into an editor's fields are the editor's.
    if (e.target !== e.currentTarget) return;
    const page = Math.max(1, Math.floor((box.current?.clientHeight ?? 400) / rowHeight) - 1);
    const to = { ArrowDown: index + 1, ArrowUp: index - 1, PageDown: index + page, PageUp: index - page, Home: 0, End: model.length - 1 }[e.key];
    if (to !== undefined) {
      e.preventDefault();
      move(to);
    } else if ((e.key === "Enter" || e.key === "F2") && onActivate) {
      e.preventDefault();
      onActivate(row);
    }
  }

  return (
    <div className="vgrid-box" ref={box} style={{ maxHeight: height }} data-testid={`${testId}-box`}>
      <table
        className="vgrid"
        data-testid={testId}
        aria-label={label}
        aria-rowcount={rows.length + 1}
        style={{ width: table.getTotalSize(), minWidth: "100%" }}
      >
        <colgroup>
          {table.getVisibleLeafColumns().map((c) => (
            <col key={c.id} style={{ width: c.getSize() }} />
          ))}
        </colgroup>
        <thead>
          {table.getHeaderGroups().map((g) => (
            <tr key={g.id} aria-rowindex={1}>
              {g.headers.map((h) => {
                const meta = (h.column.columnDef.meta ?? {}) as GridColumnMeta;
                const sorted = sort?.id === h.column.id ? sort.dir : null;
                return (
                  <th
                    key={h.id}
                    className={[meta.numeric ? "num" : "", meta.sortable ? "sortable" : ""].join(" ")}
                    aria-sort={meta.sortable ? (sorted === "asc" ? "ascending" : sorted === "desc" ? "descending" : "none") : undefined}
                    onClick={meta.sortable && onSort ? () => onSort(h.column.id) : undefined}
                    data-testid={`${testId}-header-${h.column.id}`}
                  >
                    <span className="th-label">
                      {flexRender(h.column.columnDef.header, h.getContext())}
                      {sorted === "asc" ? " ▲" : sorted === "desc" ? " ▼" : ""}
                    </span>
                    {h.column.getCanResize() && (
                      <span
                        className={h.column.getIsResizing() ? "resizer resizing" : "resizer"}
                        role="separator"
                        aria-orientation="vertical"
                        aria-label={`Resize the ${h.column.id} column`}
                        onMouseDown={h.getResizeHandler()}
                        onTouchStart={h.getResizeHandler()}
                        onClick={(e) => e.stopPropagation()}
                        onDoubleClick={() => h.column.resetSize()}
                        data-testid={`${testId}-resize-${h.column.id}`}
                      />
                    )}
                  </th>
                );
              })}
            </tr>
          ))}
        </thead>
        <tbody>
          {padTop > 0 && (
            <tr className="vgrid-pad" aria-hidden="true">
              <td colSpan={columnCount} style={{ height: padTop }} />
            </tr>
          )}
          {items.map((item) => {
            const row = model[item.index];
            if (!row) return null;
            const extra = rowAttrs?.(row.original) ?? {};
            const editing = editor?.id === row.id;
            const classes = [extra.className ?? "", editing ? "editing" : "", selectedId === row.id ? "selected" : ""].join(" ").trim();
            return (
              <tr
                key={row.id}
                {...extra}
                className={classes}
                ref={virtualizer.measureElement}
                data-index={item.index}
                aria-rowindex={item.index + 2}
                aria-selected={selectedId === row.id ? true : undefined}
                tabIndex={editing ? -1 : 0}
                data-testid={rowTestId}
                onKeyDown={(e) => onKeyDown(e, item.index, row.original)}
                onClick={onRowClick && !editing ? () => onRowClick(row.original) : undefined}
              >
                {editing
                  ? editor.cells(row.original)
                  : row.getVisibleCells().map((cell) => {
                      const meta = (cell.column.columnDef.meta ?? {}) as GridColumnMeta;
                      return (
                        <td key={cell.id} className={[meta.numeric ? "num" : "", meta.className ?? ""].join(" ").trim() || undefined}>
                          {flexRender(cell.column.columnDef.cell, cell.getContext())}
                        </td>
                      );
                    })}
              </tr>
            );
          })}
          {padBottom > 0 && (
            <tr className="vgrid-pad" aria-hidden="true">
              <td colSpan={columnCount} style={{ height: padBottom }} />
            </tr>
          )}
        </tbody>
      </table>
    </div>
  );
}
