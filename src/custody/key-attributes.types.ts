// What an HSM reports of a key: the attributes the evidence records and backups carry.
export interface KeyAttributes {
  local: boolean;
  neverExtractable: boolean;
  alwaysSensitive: boolean;
  extractable: boolean;
  sensitive: boolean;
  /** CKA_WRAP_WITH_TRUSTED: the key can be wrapped only by a key the SO marked CKA_TRUSTED. */
  wrapWithTrusted: boolean;
}
