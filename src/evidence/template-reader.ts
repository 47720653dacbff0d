// Port: how the template loaders get the bytes of a template file or a font it names. `read` resolves the
// file's bytes, or rejects with the operating system's error as it came (its `code`, e.g. ENOENT, EACCES,
// EISDIR, is what the loaders turn into a short reason). The composition root hands in the file-system
// implementation (adapters/fs/fs-template-reader.ts); tests may hand in files held in memory.
export interface TemplateReader {
  read(file: string): Promise<Buffer>;
}
