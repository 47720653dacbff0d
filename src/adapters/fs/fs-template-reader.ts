// TemplateReader over the file system: template files and the fonts they name are read as they are on disk;
// a failure rejects with Node's own error (its errno code), which the loaders in evidence/ describe.
import { readFile } from 'node:fs/promises';
import type { TemplateReader } from '../../evidence/template-reader.js';

export class FsTemplateReader implements TemplateReader {
  read(file: string): Promise<Buffer> {
    return readFile(file);
  }
}
