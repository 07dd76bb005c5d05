// A minimal DICOM Part 10 writer (Explicit VR Little Endian meta + dataset) for tests with known pixels.

export interface DicomElement {
  tag: [number, number];
  vr: string;
  value: string | Uint8Array | number[];
}

function encodeValue(vr: string, value: DicomElement['value']): Uint8Array {
  let bytes: Uint8Array;
  if (value instanceof Uint8Array) bytes = value;
  else if (typeof value === 'string') bytes = new TextEncoder().encode(value);
  else if (vr === 'US') {
    bytes = new Uint8Array(value.length * 2);
    value.forEach((v, i) => new DataView(bytes.buffer).setUint16(2 * i, v, true));
  } else if (vr === 'UL') {
    bytes = new Uint8Array(value.length * 4);
    value.forEach((v, i) => new DataView(bytes.buffer).setUint32(4 * i, v, true));
  } else throw new Error(`encodeValue: unsupported VR ${vr}`);
  if (bytes.length % 2) {
    const padded = new Uint8Array(bytes.length + 1);
    padded.set(bytes);
    padded[bytes.length] = vr === 'UI' || vr === 'OB' ? 0 : 0x20;
    bytes = padded;
  }
  return bytes;
}

function encodeElement(e: DicomElement, undefinedLength = false): Uint8Array {
  const body = encodeValue(e.vr, e.value);
  const long = ['OB', 'OW', 'SQ', 'UN', 'UT', 'OF'].includes(e.vr);
  const head = new Uint8Array(long ? 12 : 8);
  const dv = new DataView(head.buffer);
  dv.setUint16(0, e.tag[0], true);
  dv.setUint16(2, e.tag[1], true);
  head[4] = e.vr.charCodeAt(0);
  head[5] = e.vr.charCodeAt(1);
  if (long) dv.setUint32(8, undefinedLength ? 0xffffffff : body.length, true);
  else dv.setUint16(6, body.length, true);
  return concat([head, body]);
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Encapsulated pixel data (one fragment per frame, empty basic offset table). */
export function encapsulate(frames: Uint8Array[]): Uint8Array {
  const item = (data: Uint8Array) => {
    const h = new Uint8Array(8);
    const dv = new DataView(h.buffer);
    dv.setUint16(0, 0xfffe, true);
    dv.setUint16(2, 0xe000, true);
    dv.setUint32(4, data.length, true);
    return concat([h, data]);
  };
  const end = new Uint8Array(8);
  new DataView(end.buffer).setUint16(0, 0xfffe, true);
  new DataView(end.buffer).setUint16(2, 0xe0dd, true);
  return concat([item(new Uint8Array(0)), ...frames.map((f) => item(f.length % 2 ? concat([f, new Uint8Array(1)]) : f)), end]);
}

/** Builds a DICOM file. Elements must be given in ascending tag order; pixel data last. */
export function writeDicom(elements: DicomElement[], transferSyntax = '1.2.840.10008.1.2.1', encapsulated = false): Uint8Array {
  const meta = [
    encodeElement({ tag: [0x0002, 0x0001], vr: 'OB', value: Uint8Array.from([0, 1]) }),
    encodeElement({ tag: [0x0002, 0x0002], vr: 'UI', value: '1.2.840.10008.5.1.4.1.1.7' }),
    encodeElement({ tag: [0x0002, 0x0003], vr: 'UI', value: '1.2.3.4.5' }),
    encodeElement({ tag: [0x0002, 0x0010], vr: 'UI', value: transferSyntax }),
  ];
  const metaBody = concat(meta);
  const groupLength = encodeElement({ tag: [0x0002, 0x0000], vr: 'UL', value: [metaBody.length] });
  const body = elements.map((e) => encodeElement(e, encapsulated && e.tag[0] === 0x7fe0));
  const preamble = new Uint8Array(132);
  preamble.set([0x44, 0x49, 0x43, 0x4d], 128);
  return concat([preamble, groupLength, metaBody, ...body]);
}

/** Elements of a simple grayscale image (everything but pixel data), in tag order. */
export function imageElements(o: {
  rows: number;
  columns: number;
  bitsAllocated?: number;
  bitsStored?: number;
  signed?: boolean;
  photometric?: string;
  slope?: string;
  intercept?: string;
  window?: [string, string];
  position?: string;
  series?: string;
  instance?: string;
  samples?: number;
}): DicomElement[] {
  const ba = o.bitsAllocated ?? 16;
  const els: DicomElement[] = [{ tag: [0x0008, 0x0060], vr: 'CS', value: 'MR' }];
  if (o.series) els.push({ tag: [0x0020, 0x000e], vr: 'UI', value: o.series });
  if (o.instance) els.push({ tag: [0x0020, 0x0013], vr: 'IS', value: o.instance });
  if (o.position) {
    els.push({ tag: [0x0020, 0x0032], vr: 'DS', value: o.position });
    els.push({ tag: [0x0020, 0x0037], vr: 'DS', value: '1\\0\\0\\0\\1\\0' });
  }
  els.push(
    { tag: [0x0028, 0x0002], vr: 'US', value: [o.samples ?? 1] },
    { tag: [0x0028, 0x0004], vr: 'CS', value: o.photometric ?? 'MONOCHROME2' },
    { tag: [0x0028, 0x0010], vr: 'US', value: [o.rows] },
    { tag: [0x0028, 0x0011], vr: 'US', value: [o.columns] },
    { tag: [0x0028, 0x0100], vr: 'US', value: [ba] },
    { tag: [0x0028, 0x0101], vr: 'US', value: [o.bitsStored ?? ba] },
    { tag: [0x0028, 0x0102], vr: 'US', value: [(o.bitsStored ?? ba) - 1] },
    { tag: [0x0028, 0x0103], vr: 'US', value: [o.signed ? 1 : 0] },
  );
  if (o.window) {
    els.push({ tag: [0x0028, 0x1050], vr: 'DS', value: o.window[0] });
    els.push({ tag: [0x0028, 0x1051], vr: 'DS', value: o.window[1] });
  }
  if (o.intercept) els.push({ tag: [0x0028, 0x1052], vr: 'DS', value: o.intercept });
  if (o.slope) els.push({ tag: [0x0028, 0x1053], vr: 'DS', value: o.slope });
  return els;
}
