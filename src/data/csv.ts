// A small RFC 4180 CSV parser that remembers the line each record starts on, for error messages.
import { DataError } from './errors.js';

/** A parsed CSV file: the header and the records, each with the 1-based line it starts on. */
export interface CsvTable {
  header: string[];
  rows: Array<{ line: number; fields: string[] }>;
}

/** Parses CSV text (comma-separated, double-quoted fields with "" escapes, LF or CRLF). */
export function parseCsv(text: string, file: string): CsvTable {
  const records: Array<{ line: number; fields: string[] }> = [];
  let fields: string[] = [];
  let field = '';
  let quoted = false;
  let line = 1;
  let start = 1;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0; // byte-order mark
  let atFieldStart = true;
  const endRecord = () => {
    fields.push(field);
    if (!(fields.length === 1 && fields[0] === '')) records.push({ line: start, fields });
    fields = [];
    field = '';
    atFieldStart = true;
  };
  for (; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else {
        if (ch === '\n') line++;
        field += ch;
      }
      continue;
    }
    if (ch === '"' && atFieldStart) {
      quoted = true;
      atFieldStart = false;
    } else if (ch === '"') {
      throw new DataError(file, 'a quote inside an unquoted field; expected quotes only around whole fields', `line ${line}`);
    } else if (ch === ',') {
      fields.push(field);
      field = '';
      atFieldStart = true;
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      endRecord();
      line++;
      start = line;
    } else {
      field += ch;
      atFieldStart = false;
    }
  }
  if (quoted) throw new DataError(file, 'unterminated quoted field; expected a closing "', `line ${start}`);
  if (field !== '' || fields.length > 0) endRecord();
  if (records.length === 0) throw new DataError(file, 'empty CSV; expected a header row and data rows');
  const [head, ...rows] = records;
  for (const r of rows) {
    if (r.fields.length !== head!.fields.length) {
      throw new DataError(file, `${r.fields.length} fields; expected ${head!.fields.length} as in the header`, `line ${r.line}`);
    }
  }
  return { header: head!.fields.map((h) => h.trim()), rows };
}
