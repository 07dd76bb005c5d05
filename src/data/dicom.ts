// DICOM: single files and series folders (sorted by position along the slice normal), rescale
// slope/intercept, window centre/width, MONOCHROME1 inversion, multi-frame files. Parsed with the
// maintained dicom-parser package. Uncompressed transfer syntaxes and JPEG Baseline (decoded with
// sharp) are supported; any other compressed syntax gives an error naming it.
import { readFileSync, readdirSync, realpathSync, statSync, type Stats } from 'node:fs';
import { basename, join, relative } from 'node:path';
import dicomParser from 'dicom-parser';
import type { DataSet } from 'dicom-parser';
import sharp from 'sharp';
import { DataError, dataWarning } from './errors.js';
import { checkMemory, type MemoryItem } from './memory-budget.js';
import { squarePlane } from './resize.js';
import type { ImageDataset, SkippedItem } from './types.js';

/** Names of transfer syntaxes, for messages. */
const SYNTAXES: Record<string, string> = {
  '1.2.840.10008.1.2': 'Implicit VR Little Endian',
  '1.2.840.10008.1.2.1': 'Explicit VR Little Endian',
  '1.2.840.10008.1.2.2': 'Explicit VR Big Endian',
  '1.2.840.10008.1.2.1.99': 'Deflated Explicit VR Little Endian',
  '1.2.840.10008.1.2.4.50': 'JPEG Baseline (Process 1)',
  '1.2.840.10008.1.2.4.51': 'JPEG Extended (Process 2 & 4)',
  '1.2.840.10008.1.2.4.57': 'JPEG Lossless (Process 14)',
  '1.2.840.10008.1.2.4.70': 'JPEG Lossless, First-Order Prediction',
  '1.2.840.10008.1.2.4.80': 'JPEG-LS Lossless',
  '1.2.840.10008.1.2.4.81': 'JPEG-LS Near-Lossless',
  '1.2.840.10008.1.2.4.90': 'JPEG 2000 Lossless',
  '1.2.840.10008.1.2.4.91': 'JPEG 2000',
  '1.2.840.10008.1.2.5': 'RLE Lossless',
};
const UNCOMPRESSED = ['1.2.840.10008.1.2', '1.2.840.10008.1.2.1', '1.2.840.10008.1.2.2'];
const JPEG_BASELINE = '1.2.840.10008.1.2.4.50';

/** One decoded DICOM image (all frames of one file). */
export interface DicomImage {
  /** The file. */
  file: string;
  /** Rows (H) and columns (W). */
  rows: number;
  columns: number;
  /** Number of frames (1 for a single image). */
  frames: number;
  /** Samples per pixel: 1 (grayscale) or 3 (RGB). */
  samples: number;
  /** Pixel values, frames x samples x rows x columns: rescaled (slope/intercept) and MONOCHROME1-inverted. */
  data: Float32Array;
  /** Photometric interpretation, e.g. MONOCHROME2. */
  photometric: string;
  /** Modality tag (CT, MR, ...) or ''. */
  modality: string;
  /** Transfer syntax UID. */
  transferSyntax: string;
  /** Window centre and width from the file (first value), if present. */
  window: [number, number] | null;
  /** Pixel spacing in mm [row, column], if present. */
  spacing: [number, number] | null;
  /** Image position (patient), mm, if present. */
  position: [number, number, number] | null;
  /** Image orientation (patient): row and column direction cosines, if present. */
  orientation: number[] | null;
  /** Instance number, or NaN. */
  instance: number;
  /** Series instance UID, or ''. */
  series: string;
  /** Patient ID (0010,0020), or ''. */
  patient: string;
  /** Rescaled value range the stored bits can represent: [lowest, highest]. */
  range: [number, number];
}

function nums(ds: DataSet, tag: string): number[] | null {
  const s = ds.string(tag);
  if (s === undefined || s.trim() === '') return null;
  const v = s.split('\\').map(Number);
  return v.every(Number.isFinite) ? v : null;
}

const tagName = (t: string) => `tag (${t.slice(1, 5).toUpperCase()},${t.slice(5).toUpperCase()})`;

/** Options of `readDicom`. */
export interface ReadDicomOptions {
  /** Memory budget in bytes (see memory-budget.ts). Default: LATENTLENS_MEMORY_BUDGET, else half of this machine's memory. */
  memoryBudget?: number;
  /** What the caller already holds, counted against the budget with this file's pixels. */
  held?: MemoryItem[];
}

/**
 * Parses and decodes one DICOM file. Throws a DataError naming the file and tag for anything it cannot
 * read, and before decoding when its pixels (with `options.held`) would exceed the memory budget.
 */
export async function readDicom(file: string, bytes?: Uint8Array, options: ReadDicomOptions = {}): Promise<DicomImage> {
  let buf = bytes;
  if (!buf) {
    try {
      const b = readFileSync(file);
      buf = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
    } catch (err) {
      throw new DataError(file, `cannot read file: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
  }
  let ds: DataSet;
  try {
    ds = dicomParser.parseDicom(buf);
  } catch (err) {
    const msg =
      err instanceof Error
        ? err.message
        : typeof err === 'object' && err && 'exception' in err
          ? String((err as { exception: unknown }).exception)
          : String(err);
    throw new DataError(file, `corrupt or not a DICOM Part 10 file: ${msg}`);
  }
  const ts = ds.string('x00020010') ?? '1.2.840.10008.1.2';
  const rows = ds.uint16('x00280010');
  const columns = ds.uint16('x00280011');
  if (!rows || !columns)
    throw new DataError(file, 'missing or zero Rows/Columns; expected an image', tagName(rows ? 'x00280011' : 'x00280010'));
  const samples = ds.uint16('x00280002') ?? 1;
  const bitsAllocated = ds.uint16('x00280100') ?? 16;
  const bitsStored = ds.uint16('x00280101') ?? bitsAllocated;
  const signed = (ds.uint16('x00280103') ?? 0) === 1;
  const photometric = (ds.string('x00280004') ?? 'MONOCHROME2').trim();
  const frames = Math.max(1, Number(ds.string('x00280008') ?? '1') || 1);
  const planar = ds.uint16('x00280006') ?? 0;
  const pixel = ds.elements.x7fe00010;
  if (!pixel) throw new DataError(file, 'no Pixel Data element; expected an image', tagName('x7fe00010'));
  if (samples !== 1 && samples !== 3) throw new DataError(file, `Samples per Pixel ${samples}; expected 1 or 3`, tagName('x00280002'));
  if (samples === 3 && photometric !== 'RGB' && ts !== JPEG_BASELINE) {
    throw new DataError(file, `photometric interpretation ${photometric}; expected RGB for 3-sample images`, tagName('x00280004'));
  }
  if (![8, 16, 32].includes(bitsAllocated))
    throw new DataError(file, `Bits Allocated ${bitsAllocated}; expected 8, 16 or 32`, tagName('x00280100'));

  const plane = rows * columns;
  const perFrame = plane * samples;
  const uncompressed = UNCOMPRESSED.includes(ts);
  if (uncompressed) {
    const need = frames * perFrame * (bitsAllocated / 8);
    if (pixel.length < need || pixel.dataOffset + need > buf.length) {
      throw new DataError(
        file,
        `pixel data has ${Math.min(pixel.length, buf.length - pixel.dataOffset)} bytes; expected ${need} for ${frames} x ${rows} x ${columns} x ${samples} at ${bitsAllocated} bits`,
        tagName('x7fe00010'),
      );
    }
  }
  checkMemory(
    file,
    [
      ...(options.held ?? []),
      { what: 'the file', bytes: buf.length },
      {
        what: `float64 pixels (${frames} frames of ${rows} x ${columns} x ${samples})`,
        bytes: frames * perFrame * 8,
        elements: frames * perFrame,
      },
      { what: 'float32 pixels', bytes: frames * perFrame * 4 },
    ],
    options.memoryBudget,
  );
  const raw = new Float64Array(frames * perFrame);
  if (uncompressed) {
    const bytesPer = bitsAllocated / 8;
    const need = frames * perFrame * bytesPer;
    const dv = new DataView(buf.buffer, buf.byteOffset + pixel.dataOffset, need);
    const le = ts !== '1.2.840.10008.1.2.2';
    const shift = 32 - bitsStored;
    for (let p = 0; p < frames * perFrame; p++) {
      let v: number;
      if (bitsAllocated === 8) v = dv.getUint8(p);
      else if (bitsAllocated === 16) v = dv.getUint16(2 * p, le);
      else v = dv.getUint32(4 * p, le);
      // Keep the stored bits; sign-extend when signed.
      v = signed ? (v << shift) >> shift : bitsStored >= 32 ? v >>> 0 : v & (2 ** bitsStored - 1);
      raw[p] = v;
    }
    // Colour-by-plane to colour-by-pixel order (decoded below as interleaved).
    if (samples === 3 && planar === 1) {
      for (let f = 0; f < frames; f++) {
        const src = raw.slice(f * perFrame, (f + 1) * perFrame);
        for (let p = 0; p < plane; p++) for (let c = 0; c < 3; c++) raw[f * perFrame + p * 3 + c] = src[c * plane + p]!;
      }
    }
  } else if (ts === JPEG_BASELINE) {
    for (let f = 0; f < frames; f++) {
      let frameBytes: Uint8Array;
      try {
        frameBytes = dicomParser.readEncapsulatedImageFrame(
          ds,
          pixel,
          f,
          pixel.basicOffsetTable?.length ? undefined : dicomParser.createJPEGBasicOffsetTable(ds, pixel),
        ) as Uint8Array;
      } catch (err) {
        throw new DataError(file, `cannot read encapsulated frame ${f}: ${String(err)}`, tagName('x7fe00010'));
      }
      let out: { data: Buffer; info: sharp.OutputInfo };
      try {
        out = await sharp(frameBytes).raw().toBuffer({ resolveWithObject: true });
      } catch (err) {
        throw new DataError(
          file,
          `cannot decode JPEG frame ${f}: ${err instanceof Error ? err.message : String(err)}`,
          tagName('x7fe00010'),
        );
      }
      if (out.info.width !== columns || out.info.height !== rows) {
        throw new DataError(
          file,
          `JPEG frame ${f} is ${out.info.width} x ${out.info.height}; expected ${columns} x ${rows}`,
          tagName('x7fe00010'),
        );
      }
      const ch = out.info.channels;
      for (let p = 0; p < plane; p++)
        for (let c = 0; c < samples; c++) raw[f * perFrame + p * samples + c] = out.data[p * ch + Math.min(c, ch - 1)]!;
    }
  } else {
    const name = SYNTAXES[ts] ?? 'unknown';
    throw new DataError(
      file,
      `transfer syntax ${ts} (${name}) is not supported; expected uncompressed (Implicit/Explicit VR Little Endian, Explicit VR Big Endian) or JPEG Baseline. Decompress it first, e.g. with dcmdjpeg or gdcmconv --raw`,
      tagName('x00020010'),
    );
  }

  // Rescale Slope/Intercept: absent means 1 and 0; present but not a finite number (NaN, Inf, text) or a
  // zero slope would make every pixel NaN or constant, so it is refused.
  const rescale = (tag: string, name: string, absent: number): number => {
    const text = ds.string(tag);
    if (text === undefined || text.trim() === '') return absent;
    const v = Number(text.split('\\')[0]!.trim());
    if (!Number.isFinite(v) || (tag === 'x00281053' && v === 0)) {
      throw new DataError(
        file,
        `${name} is "${text.trim()}"; expected a finite${tag === 'x00281053' ? ', nonzero' : ''} number (or the tag left out for ${absent})`,
        tagName(tag),
      );
    }
    return v;
  };
  const slope = rescale('x00281053', 'Rescale Slope', 1);
  const intercept = rescale('x00281052', 'Rescale Intercept', 0);
  const lo = signed ? -(2 ** (bitsStored - 1)) : 0;
  const hi = signed ? 2 ** (bitsStored - 1) - 1 : 2 ** bitsStored - 1;
  const range: [number, number] = [
    Math.min(lo * slope + intercept, hi * slope + intercept),
    Math.max(lo * slope + intercept, hi * slope + intercept),
  ];
  const invert = photometric === 'MONOCHROME1';
  const data = new Float32Array(frames * perFrame);
  // Output layout frames x samples x rows x columns.
  for (let f = 0; f < frames; f++) {
    for (let p = 0; p < plane; p++) {
      for (let c = 0; c < samples; c++) {
        let v = raw[f * perFrame + p * samples + c]! * slope + intercept;
        if (invert) v = range[0] + range[1] - v;
        data[f * perFrame + c * plane + p] = v;
      }
    }
  }
  const wc = nums(ds, 'x00281050');
  const ww = nums(ds, 'x00281051');
  const sp = nums(ds, 'x00280030');
  const pos = nums(ds, 'x00200032');
  return {
    file,
    rows,
    columns,
    frames,
    samples,
    data,
    photometric,
    modality: (ds.string('x00080060') ?? '').trim(),
    transferSyntax: ts,
    window: wc && ww ? [wc[0]!, ww[0]!] : null,
    spacing: sp && sp.length >= 2 ? [sp[0]!, sp[1]!] : null,
    position: pos && pos.length >= 3 ? [pos[0]!, pos[1]!, pos[2]!] : null,
    orientation: nums(ds, 'x00200037'),
    instance: Number(ds.string('x00200013') ?? NaN),
    series: (ds.string('x0020000e') ?? '').trim(),
    patient: (ds.string('x00100020') ?? '').trim(),
    range,
  };
}

/** Applies a DICOM linear VOI window (centre c, width w; PS3.3 C.11.2.1.2) to rescaled values, giving 0..1. */
export function applyWindow(values: Float32Array, center: number, width: number): Float32Array {
  if (!(width >= 1)) throw new RangeError(`window width must be >= 1, got ${width}`);
  const out = new Float32Array(values.length);
  const lo = center - 0.5 - (width - 1) / 2;
  const hi = center - 0.5 + (width - 1) / 2;
  for (let i = 0; i < values.length; i++) {
    const x = values[i]!;
    out[i] = x <= lo ? 0 : x > hi ? 1 : (x - (center - 0.5)) / (width - 1) + 0.5;
  }
  return out;
}

/** Options of `loadDicom`. */
export interface DicomOptions {
  /**
   * Intensity window: `'none'` (default) keeps rescaled units (e.g. Hounsfield units for CT);
   * `'file'` applies each image's own Window Center/Width to give 0..1; `[center, width]` applies that
   * window to every image. Windows apply to the rescaled stored values; MONOCHROME1 images are then
   * inverted (1 - windowed), as a DICOM viewer displays them.
   */
  window?: 'none' | 'file' | [number, number];
  /** Centre-crop to a square and resize to size x size. Required when a folder mixes image sizes. */
  size?: number;
  /** For folders holding several series: the Series Instance UID to load. Default: the series with most images. */
  series?: string;
  /** Memory budget in bytes (see memory-budget.ts). Default: LATENTLENS_MEMORY_BUDGET, else half of this machine's memory. */
  memoryBudget?: number;
}

const code = (err: unknown) => (err as NodeJS.ErrnoException).code ?? String(err);

// Files under `dir`, recursively, sorted. Entries that cannot be read (a broken symbolic link, an entry
// of /proc that vanished, a folder without permission), that are not regular files (devices, FIFOs,
// sockets: reading one could block) or that loop back to a folder already walked are skipped and
// recorded as `unreadable`, never raised raw.
function listFiles(dir: string, unreadable: SkippedItem[], seen = new Set<string>(), top = true): string[] {
  let names: string[];
  try {
    const real = realpathSync(dir);
    if (seen.has(real)) {
      unreadable.push({ item: dir, reason: `a folder already walked (${real}): a symbolic link loop` });
      return [];
    }
    seen.add(real);
    names = readdirSync(dir).sort();
  } catch (err) {
    if (top) throw new DataError(dir, `cannot list the folder (${code(err)}); expected a readable folder of DICOM files`);
    unreadable.push({ item: dir, reason: `cannot list the folder (${code(err)})` });
    return [];
  }
  const out: string[] = [];
  for (const name of names) {
    if (name.startsWith('.')) continue;
    const p = join(dir, name);
    let st: Stats;
    try {
      st = statSync(p);
    } catch (err) {
      const why = code(err) === 'ENOENT' ? ': a broken symbolic link, or removed while the folder was read' : '';
      unreadable.push({ item: p, reason: `cannot read (${code(err)}${why})` });
      continue;
    }
    if (st.isDirectory()) out.push(...listFiles(p, unreadable, seen, false));
    else if (st.isFile()) out.push(p);
    else unreadable.push({ item: p, reason: 'not a regular file (a device, FIFO or socket)' });
  }
  return out;
}

function looksLikeDicom(bytes: Uint8Array, name: string): boolean {
  return (
    /\.(dcm|dicom|ima)$/i.test(name) ||
    (bytes.length > 132 && bytes[128] === 0x44 && bytes[129] === 0x49 && bytes[130] === 0x43 && bytes[131] === 0x4d)
  );
}

/**
 * Loads one DICOM file or a folder holding a series (searched recursively). Every frame/slice becomes
 * one sample with one channel (named after the modality, e.g. `CT`; RGB images give `R`, `G`, `B`).
 * A folder's slices are sorted by position along the slice normal (instance number, then file name
 * when positions are missing). Files in a folder that are not DICOM, and images of other series, are
 * skipped and listed in `skipped`; a file named .dcm that cannot be parsed is an error.
 */
export async function loadDicom(path: string, options: DicomOptions = {}): Promise<ImageDataset> {
  let isDir: boolean;
  try {
    isDir = statSync(path).isDirectory();
  } catch {
    throw new DataError(path, 'not found; expected a DICOM file or a folder of DICOM files');
  }
  const skipped: SkippedItem[] = [];
  let images: DicomImage[] = [];
  // Memory: the decoded images read so far and the dataset array they will fill, counted before each
  // file is read and decoded (a series is refused as soon as it would pass the budget).
  let heldBytes = 0;
  let outBytes = 0;
  const held = (): MemoryItem[] => [
    { what: `${images.length} images read so far`, bytes: heldBytes },
    { what: 'their dataset array', bytes: outBytes },
  ];
  const keep = (im: DicomImage) => {
    images.push(im);
    heldBytes += im.data.byteLength;
    outBytes += im.frames * im.samples * (options.size ? options.size ** 2 : im.rows * im.columns) * 4;
  };
  if (!isDir) keep(await readDicom(path, undefined, { memoryBudget: options.memoryBudget }));
  else {
    const unreadable: SkippedItem[] = [];
    for (const f of listFiles(path, unreadable)) {
      let b: Buffer;
      try {
        checkMemory(f, [...held(), { what: 'the file', bytes: statSync(f).size }], options.memoryBudget);
        b = readFileSync(f);
      } catch (err) {
        if (err instanceof DataError) throw err;
        unreadable.push({ item: f, reason: `cannot read (${code(err)})` });
        continue;
      }
      const bytes = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
      if (!looksLikeDicom(bytes, f)) {
        skipped.push({ item: f, reason: 'not a DICOM file (no DICM marker, no .dcm extension)' });
        continue;
      }
      keep(await readDicom(f, bytes, { memoryBudget: options.memoryBudget, held: held() }));
    }
    if (unreadable.length > 0) {
      skipped.push(...unreadable);
      dataWarning(
        path,
        `${unreadable.length} entr${unreadable.length === 1 ? 'y' : 'ies'} of the folder could not be read and ${unreadable.length === 1 ? 'was' : 'were'} skipped (${unreadable
          .slice(0, 3)
          .map((u) => `${u.item}: ${u.reason}`)
          .join('; ')}${unreadable.length > 3 ? '; ...' : ''}); all are listed in the skipped items`,
      );
    }
    if (images.length === 0)
      throw new DataError(
        path,
        `no DICOM files found${skipped.length ? ` (${skipped.length} other entries skipped)` : ''}; expected .dcm files or files with the DICM marker`,
      );
    // One series.
    const bySeries = new Map<string, DicomImage[]>();
    for (const im of images) bySeries.set(im.series, [...(bySeries.get(im.series) ?? []), im]);
    let chosen = options.series;
    if (chosen !== undefined && !bySeries.has(chosen))
      throw new DataError(path, `no series ${chosen}; found ${[...bySeries.keys()].join(', ')}`);
    chosen ??= [...bySeries.entries()].sort((a, b) => b[1].length - a[1].length)[0]![0];
    for (const [uid, list] of bySeries) {
      if (uid !== chosen)
        for (const im of list)
          skipped.push({ item: im.file, reason: `belongs to another series (${uid || 'no UID'}) than the one loaded (${chosen})` });
    }
    images = bySeries.get(chosen)!;
    // Sort along the slice normal.
    const key = (im: DicomImage) => {
      if (im.position && im.orientation && im.orientation.length === 6) {
        const [r0, r1, r2, c0, c1, c2] = im.orientation as [number, number, number, number, number, number];
        const n = [r1 * c2 - r2 * c1, r2 * c0 - r0 * c2, r0 * c1 - r1 * c0];
        return n[0]! * im.position[0] + n[1]! * im.position[1] + n[2]! * im.position[2];
      }
      return NaN;
    };
    const allPos = images.every((im) => Number.isFinite(key(im)));
    images.sort((a, b) => (allPos ? key(a) - key(b) : 0) || a.instance - b.instance || a.file.localeCompare(b.file));
  }

  const samples = images[0]!.samples;
  for (const im of images) {
    if (im.samples !== samples)
      throw new DataError(
        im.file,
        `${im.samples} samples per pixel but ${images[0]!.file} has ${samples}; expected one kind of image per series`,
      );
    if (!options.size && (im.rows !== images[0]!.rows || im.columns !== images[0]!.columns)) {
      throw new DataError(
        im.file,
        `${im.rows} x ${im.columns} pixels but ${images[0]!.file} is ${images[0]!.rows} x ${images[0]!.columns}; expected one image size (or give size= to resize)`,
      );
    }
  }
  const H = options.size ?? images[0]!.rows;
  const W = options.size ?? images[0]!.columns;
  const N = images.reduce((a, im) => a + im.frames, 0);
  const C = samples;
  checkMemory(
    path,
    [
      { what: `${images.length} decoded images`, bytes: images.reduce((a, im) => a + im.data.byteLength, 0) },
      { what: `float32 dataset array of ${N} x ${C} x ${H} x ${W}`, bytes: N * C * H * W * 4, elements: N * C * H * W },
    ],
    options.memoryBudget,
  );
  const out = new Float32Array(N * C * H * W);
  const ids: string[] = [];
  // The group of each image: its patient, else its series, else the path loaded (one series is loaded).
  const groups: string[] = [];
  let k = 0;
  const win = options.window ?? 'none';
  for (const im of images) {
    const plane = im.rows * im.columns;
    for (let f = 0; f < im.frames; f++) {
      for (let c = 0; c < C; c++) {
        let p = im.data.subarray((f * C + c) * plane, (f * C + c + 1) * plane);
        if (win !== 'none') {
          const w = win === 'file' ? im.window : win;
          if (!w) throw new DataError(im.file, 'no Window Center/Width; expected them for window=file', tagName('x00281050'));
          if (im.photometric === 'MONOCHROME1') {
            // The window is defined on the stored (not inverted) scale; display inverts after it.
            const orig = p.map((v) => im.range[0] + im.range[1] - v);
            p = applyWindow(orig, w[0], w[1]).map((v) => 1 - v);
          } else p = applyWindow(p, w[0], w[1]);
        }
        if (options.size) p = squarePlane(p, im.rows, im.columns, options.size);
        out.set(p, (k * C + c) * H * W);
      }
      ids.push(
        isDir
          ? `${relative(path, im.file)}${im.frames > 1 ? ` frame ${f}` : ''}`
          : `${basename(im.file)}${im.frames > 1 ? ` frame ${f}` : ''}`,
      );
      groups.push(im.patient || im.series || path);
      k++;
    }
  }
  const first = images[0]!;
  const ds: ImageDataset = {
    images: out,
    shape: [N, C, H, W],
    channelNames: C === 3 ? ['R', 'G', 'B'] : [first.modality || 'gray'],
    ids,
    groups,
    // Images are sorted along the slice normal (else by instance number): the position is the slice index.
    sliceIndex: Int32Array.from({ length: N }, (_, i) => i),
    skipped,
    source: `dicom:${path}`,
  };
  if (first.spacing) {
    const side = Math.min(first.rows, first.columns);
    const s = options.size ? side / options.size : 1;
    ds.spacing = [first.spacing[0] * s, first.spacing[1] * s];
  }
  return ds;
}
