// A person as the record names them. The Prompter asks people things; the journal records who answered.
export interface Person {
  name: string;
  role: string;
  /** For roles of identity piv: the officer's roster id and the device serial they proved presence with. */
  officer?: string;
  device?: string;
}
