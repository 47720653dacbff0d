// The port through which inputs/ reads the files people hand us (scripts, site files, rosters, backup sets,
// the copies in an output directory). Paths are as given (relative to the working directory or absolute).
// read() throws the system error, with its errno `code` (ENOENT, EISDIR, EACCES, ...), when the file cannot be
// read: the loaders turn that into a problem naming the file. exists() is true for files and directories alike.
export interface InputFiles {
  read(path: string): Buffer;
  exists(path: string): boolean;
}
