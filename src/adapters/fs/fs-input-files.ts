// The files people hand us, on the local file system: read as they are, errors passed on with their errno
// code for inputs/ to name (the InputFiles port).
import { existsSync, readFileSync } from 'node:fs';
import type { InputFiles } from '../../inputs/input-files.types.js';

export class FsInputFiles implements InputFiles {
  read(path: string): Buffer {
    return readFileSync(path);
  }

  exists(path: string): boolean {
    return existsSync(path);
  }
}
