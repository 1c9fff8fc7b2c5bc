// What a file is, from its first bytes, never from its name (files from CDs
// often have no extension). The core sniffs again and has the last word; this
// only decides whether the browser can show a thumbnail and what to call it.

export const SNIFF_BYTES = 132;

const startsWith = (b, sig, at = 0) => b.length >= at + sig.length && sig.every((v, i) => b[at + i] === v);
const ascii = (s) => [...s].map((c) => c.charCodeAt(0));

export function sniffKind(bytes) {
  const b = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  if (startsWith(b, [0xff, 0xd8, 0xff])) return 'jpeg';
  if (startsWith(b, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'png';
  if (startsWith(b, ascii('DICM'), 128)) return 'dicom';
  if (startsWith(b, ascii('%PDF'))) return 'pdf';
  if (startsWith(b, ascii('GIF8'))) return 'gif';
  if (startsWith(b, ascii('RIFF')) && startsWith(b, ascii('WEBP'), 8)) return 'webp';
  if (startsWith(b, [0x49, 0x49, 0x2a, 0x00]) || startsWith(b, [0x4d, 0x4d, 0x00, 0x2a])) return 'tiff';
  if (startsWith(b, ascii('BM'))) return 'bmp';
  if (startsWith(b, [0x50, 0x4b, 0x03, 0x04])) return 'zip';
  // DICOM without its 128-byte preamble starts with a group 0x0002 or 0x0008 tag.
  if (b.length >= 4 && (b[0] === 0x02 || b[0] === 0x08) && b[1] === 0x00 && b[3] === 0x00) return 'dicom';
  if (b.length === 0) return 'empty';
  return 'unknown';
}

const LABELS = {
  jpeg: 'JPEG', png: 'PNG', dicom: 'DICOM', pdf: 'PDF', gif: 'GIF', webp: 'WebP', tiff: 'TIFF', bmp: 'BMP',
  zip: 'ZIP archive', empty: 'empty file', unknown: 'unknown type',
};
export const kindLabel = (kind) => LABELS[kind] ?? kind;

// Kinds a browser <img> can show as a thumbnail.
export const browserCanShow = (kind) => kind === 'jpeg' || kind === 'png';

// Files a folder walk should skip: hidden files and OS litter, not images.
export function skipName(name) {
  return name.startsWith('.') || name === 'Thumbs.db' || name === 'desktop.ini' || name === '__MACOSX';
}
