// Image folders: PNG/JPEG/TIFF/WebP files, decoded with sharp, grayscale or RGB, centre-cropped and
// resized to a target size; labels and extra columns from a CSV, or one subfolder per class.
// `openImageFolder` reads pixels lazily (bounded memory); `loadImageFolder` reads them all.
import { existsSync, readFileSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import sharp from 'sharp';
import type { ImageSource } from './batches.js';
import { parseCsv } from './csv.js';
import { DataError } from './errors.js';
import { checkMemory } from './memory-budget.js';
import type { ImageDataset, SkippedItem } from './types.js';

const IMAGE_EXT = /\.(png|jpe?g|tiff?|webp|gif|bmp)$/i;

/** Options of `openImageFolder` / `loadImageFolder`. */
export interface ImageFolderOptions {
  /** CSV listing the images (relative to the folder or absolute). Without it: one subfolder per class, or unlabelled images. */
  csv?: string;
  /** CSV column holding image paths, relative to the CSV's folder (inside the folder unless `paths` is `any`). Default: the first of image, path, file, filename; else the first column. */
  pathColumn?: string;
  /** CSV column holding the class. Default: `label` if present, else no labels. */
  labelColumn?: string;
  /** CSV column holding each image's group (patient, subject): `groups` of the dataset. Default: none (every image its own group). */
  groupColumn?: string;
  /** Centre-crop to a square and resize to size x size. Default: none (then all images must have one size). */
  size?: number;
  /** `gray` (1 channel), `rgb` (3 channels) or `auto` (default: from the first image). */
  channels?: 'gray' | 'rgb' | 'auto';
  /** What to do with CSV rows naming missing files: `error` (default) or `skip` (counted in `skipped`). */
  missing?: 'error' | 'skip';
  /**
   * Where CSV rows may point: `folder` (default: inside the folder, symlinks resolved, so a CSV cannot
   * name `../../etc/passwd` or an absolute path elsewhere) or `any` (any file on the machine).
   */
  paths?: 'folder' | 'any';
  /** Images decoded at once. Default 4. */
  concurrency?: number;
  /** Memory budget in bytes for each `read` (see memory-budget.ts). Default: LATENTLENS_MEMORY_BUDGET, else half of this machine's memory. */
  memoryBudget?: number;
}

/** An ImageSource over a folder, plus the per-sample metadata held in memory. */
export interface ImageFolderSource extends ImageSource {
  /** Image paths, one per sample. */
  files: string[];
  /** Sample ids (paths relative to the folder). */
  ids: string[];
  /** Extra CSV columns. */
  columns?: Record<string, string[]>;
  /** The `groupColumn` value of each sample. */
  groups?: string[];
  /** Rows and files left out, with reasons. */
  skipped: SkippedItem[];
  /** Where it came from. */
  source: string;
}

function listImages(dir: string): string[] {
  return readdirSync(dir)
    .filter((n) => !n.startsWith('.') && IMAGE_EXT.test(n) && statSync(join(dir, n)).isFile())
    .sort();
}

/** Indexes a folder (and its CSV) without decoding pixels; `read()` decodes on demand. */
export async function openImageFolder(dir: string, options: ImageFolderOptions = {}): Promise<ImageFolderSource> {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new DataError(dir, 'not a folder; expected a folder of images');
  const skipped: SkippedItem[] = [];
  let files: string[] = [];
  let labelStrings: string[] | null = null;
  let columns: Record<string, string[]> | undefined;
  let groups: string[] | undefined;
  if (options.groupColumn !== undefined && !options.csv)
    throw new DataError(dir, `group=${options.groupColumn} needs a CSV (csv=...) holding that column`);

  if (options.csv) {
    const csvPath = isAbsolute(options.csv) ? options.csv : join(dir, options.csv);
    if (!existsSync(csvPath)) throw new DataError(csvPath, 'CSV file not found');
    const table = parseCsv(readFileSync(csvPath, 'utf8'), csvPath);
    const h = table.header;
    const pathCol = options.pathColumn ?? ['image', 'path', 'file', 'filename'].find((c) => h.includes(c)) ?? h[0]!;
    const pi = h.indexOf(pathCol);
    if (pi < 0) throw new DataError(csvPath, `no column "${pathCol}"; expected one of ${h.join(', ')}`, 'line 1');
    const labelCol = options.labelColumn ?? (h.includes('label') ? 'label' : undefined);
    const li = labelCol === undefined ? -1 : h.indexOf(labelCol);
    if (labelCol !== undefined && li < 0)
      throw new DataError(csvPath, `no label column "${labelCol}"; expected one of ${h.join(', ')}`, 'line 1');
    const gi = options.groupColumn === undefined ? -1 : h.indexOf(options.groupColumn);
    if (options.groupColumn !== undefined && gi < 0)
      throw new DataError(csvPath, `no group column "${options.groupColumn}"; expected one of ${h.join(', ')}`, 'line 1');
    if (gi >= 0) groups = [];
    const extra = h.map((name, k) => [name, k] as const).filter(([, k]) => k !== pi && k !== li);
    const base = dirname(csvPath);
    const root = realpathSync(dir);
    const realBase = realpathSync(base);
    const inside = (p: string) => {
      const r = relative(root, p);
      return !isAbsolute(r) && r !== '..' && !r.startsWith(`..${sep}`);
    };
    const confined = (options.paths ?? 'folder') === 'folder';
    const labels: string[] = [];
    const cols: Record<string, string[]> = Object.fromEntries(extra.map(([name]) => [name, [] as string[]]));
    for (const r of table.rows) {
      const rel = r.fields[pi]!.trim();
      if (!rel) throw new DataError(csvPath, `empty ${pathCol}; expected an image path`, `line ${r.line}`);
      const file = resolve(base, rel);
      // Rows stay inside the folder (as written, then with symlinks resolved) unless paths=any.
      const outside = (how: string) =>
        new DataError(
          csvPath,
          `${pathCol} ${rel} ${how} outside the folder ${root}; expected images inside it (paths=any in the data spec allows files elsewhere)`,
          `line ${r.line}`,
        );
      if (confined && !inside(resolve(realBase, rel))) throw outside('is');
      if (!existsSync(file)) {
        if (options.missing === 'skip') {
          skipped.push({ item: `${csvPath} line ${r.line}`, reason: `file ${rel} not found` });
          continue;
        }
        throw new DataError(csvPath, `file ${rel} not found (looked at ${file}); expected every listed image to exist`, `line ${r.line}`);
      }
      if (confined) {
        const real = realpathSync(file);
        if (!inside(real)) throw outside(`resolves (through a symbolic link) to ${real},`);
      }
      if (li >= 0) {
        const lab = r.fields[li]!.trim();
        if (!lab) throw new DataError(csvPath, `empty ${labelCol}; expected a class label`, `line ${r.line}`);
        labels.push(lab);
      }
      if (gi >= 0) {
        const g = r.fields[gi]!.trim();
        if (!g)
          throw new DataError(csvPath, `empty ${options.groupColumn}; expected the image's group (e.g. a patient id)`, `line ${r.line}`);
        groups!.push(g);
      }
      files.push(file);
      for (const [name, k] of extra) cols[name]!.push(r.fields[k]!);
    }
    if (li >= 0) labelStrings = labels;
    if (extra.length) columns = cols;
  } else {
    const sub = readdirSync(dir)
      .filter((n) => !n.startsWith('.') && statSync(join(dir, n)).isDirectory())
      .sort();
    const classDirs = sub.filter((s) => listImages(join(dir, s)).length > 0);
    if (classDirs.length > 0) {
      labelStrings = [];
      for (const c of classDirs) {
        for (const f of listImages(join(dir, c))) {
          files.push(join(dir, c, f));
          labelStrings.push(c);
        }
      }
    } else files = listImages(dir).map((f) => join(dir, f));
    for (const n of readdirSync(dir)) {
      const p = join(dir, n);
      if (!n.startsWith('.') && statSync(p).isFile() && !IMAGE_EXT.test(n))
        skipped.push({ item: p, reason: 'not an image file (by extension)' });
    }
  }
  if (files.length === 0)
    throw new DataError(
      dir,
      `no images found${skipped.length ? ` (${skipped.length} items skipped)` : ''}; expected PNG/JPEG/TIFF/WebP files, class subfolders, or a CSV listing them`,
    );

  // Classes: sorted unique values (numerically when all are integers).
  let labels: Int32Array | undefined;
  let classNames: string[] | undefined;
  if (labelStrings) {
    const uniq = [...new Set(labelStrings)];
    const numeric = uniq.every((u) => /^-?\d+$/.test(u));
    uniq.sort(numeric ? (a, b) => Number(a) - Number(b) : undefined);
    classNames = uniq;
    const index = new Map(uniq.map((u, k) => [u, k]));
    labels = Int32Array.from(labelStrings, (s) => index.get(s)!);
  }

  // Geometry from the first image.
  let meta: sharp.Metadata;
  try {
    meta = await sharp(files[0]!).metadata();
  } catch (err) {
    throw new DataError(files[0]!, `cannot decode image: ${err instanceof Error ? err.message : String(err)}`);
  }
  const mode = options.channels ?? 'auto';
  const C = mode === 'gray' ? 1 : mode === 'rgb' ? 3 : (meta.channels ?? 3) <= 2 ? 1 : 3;
  const H = options.size ?? meta.height!;
  const W = options.size ?? meta.width!;
  const concurrency = options.concurrency ?? 4;

  const decode = async (file: string): Promise<Float32Array> => {
    let img = sharp(file);
    if (options.size) img = img.resize(options.size, options.size, { fit: 'cover', position: 'centre' });
    img = C === 1 ? img.grayscale() : img.removeAlpha().toColourspace('srgb');
    let out: { data: Buffer; info: sharp.OutputInfo };
    try {
      out = await img.raw().toBuffer({ resolveWithObject: true });
    } catch (err) {
      throw new DataError(file, `cannot decode image: ${err instanceof Error ? err.message : String(err)}`);
    }
    const { width, height, channels } = out.info;
    if (width !== W || height !== H)
      throw new DataError(
        file,
        `${width} x ${height} pixels but ${relative(dir, files[0]!)} is ${W} x ${H}; expected one image size (or give size= to resize)`,
      );
    const HW = H * W;
    const px = new Float32Array(C * HW);
    for (let p = 0; p < HW; p++) for (let c = 0; c < C; c++) px[c * HW + p] = out.data[p * channels + Math.min(c, channels - 1)]! / 255;
    return px;
  };

  const src: ImageFolderSource = {
    length: files.length,
    sampleShape: [C, H, W],
    channelNames: C === 1 ? ['gray'] : ['R', 'G', 'B'],
    labelWidth: 1,
    files,
    ids: files.map((f) => relative(dir, f)),
    skipped,
    source: `folder:${dir}${options.csv ? `?csv=${options.csv}` : ''}`,
    async read(indices) {
      const plane = C * H * W;
      // The batch's float32 pixels, and per image decoding at once: the decoded source (as large as the
      // first image, with up to 4 bands), the resized raw pixels and their float32 copy.
      const decoding = (meta.width ?? W) * (meta.height ?? H) * 4 + H * W * 4 + plane * 4;
      checkMemory(
        dir,
        [
          {
            what: `float32 pixels of ${indices.length} images of ${C} x ${H} x ${W}`,
            bytes: indices.length * plane * 4,
            elements: indices.length * plane,
          },
          {
            what: `decoding ${Math.min(concurrency, indices.length)} images at once`,
            bytes: Math.min(concurrency, indices.length) * decoding,
          },
        ],
        options.memoryBudget,
      );
      const out = new Float32Array(indices.length * plane);
      let next = 0;
      const worker = async () => {
        while (next < indices.length) {
          const k = next++;
          const i = indices[k]!;
          if (!(i >= 0 && i < files.length)) throw new RangeError(`sample index ${i} outside 0..${files.length - 1}`);
          out.set(await decode(files[i]!), k * plane);
        }
      };
      await Promise.all(Array.from({ length: Math.min(concurrency, indices.length) }, worker));
      return out;
    },
  };
  if (labels) src.labels = labels;
  if (classNames) src.classNames = classNames;
  if (columns) src.columns = columns;
  if (groups) src.groups = groups;
  return src;
}

/** Loads a whole image folder into memory (see `openImageFolder` for the options and the layout). */
export async function loadImageFolder(dir: string, options: ImageFolderOptions = {}): Promise<ImageDataset> {
  const src = await openImageFolder(dir, options);
  const images = await src.read(Int32Array.from({ length: src.length }, (_, i) => i));
  const [C, H, W] = src.sampleShape;
  const ds: ImageDataset = {
    images,
    shape: [src.length, C, H, W],
    channelNames: src.channelNames,
    ids: src.ids,
    skipped: src.skipped,
    source: src.source,
  };
  if (src.labels) {
    ds.labels = src.labels;
    ds.labelWidth = 1;
    ds.task = src.classNames!.length <= 2 ? 'binary' : 'multiclass';
    ds.classNames = src.classNames!;
  }
  if (src.columns) ds.columns = src.columns;
  if (src.groups) ds.groups = src.groups;
  return ds;
}
