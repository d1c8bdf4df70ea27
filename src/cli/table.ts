// A plain-text table: columns padded to their widest cell, two spaces apart, no trailing blanks. Used by the
// CLI's summary and scan output and by the bench report.

/** The header line and one line per row; every line starts with `indent`. */
export function textTable(header: readonly string[], rows: readonly (readonly string[])[], indent = ''): string[] {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  const line = (cells: readonly string[]) =>
    indent +
    cells
      .map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column]!)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)];
}
