// The site file: WHERE a ceremony runs on this site (HSM modules and token labels, the officers' PIV module,
// the authorities' pinned certificates and signing logs). Never part of the reviewed script; read by
// inputs/site.ts, every object strict.
import { z } from 'zod';

const siteId = z
  .string()
  .regex(/^[a-z][a-z0-9-]{0,62}$/, 'must be lowercase letters, digits and dashes, starting with a letter');

const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex digits');

/** The site file: where the ceremony's HSM profile lives on this site. Never part of the reviewed script. */
export const SiteProfile = z
  .object({
    hsm: z
      .record(
        siteId,
        z
          .object({
            module: z.string().min(1).describe('Path of the PKCS#11 module, e.g. /usr/lib/softhsm/libsofthsm2.so.'),
            token_label: z.string().min(1).max(32).describe('CKA_LABEL of the token (set by hsm.init-token).'),
            slot: z.number().int().min(0).optional().describe('Slot id to initialise when the HSM has several free slots.'),
            evidence: z
              .object({
                token_label: z.string().min(1).max(32).describe('CKA_LABEL of the evidence token (made by ceremonies/evidence-token-init.yaml).'),
                key_label: z.string().min(1).max(64).default('officiant-evidence').describe('CKA_LABEL of the evidence key on that token.'),
                certificate: z.string().min(1).describe("PEM file of the evidence key's certificate (that ceremony's outputs/evidence-key.cert.pem), relative to the site file."),
                certificate_sha256: z
                  .string()
                  .regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex digits')
                  .describe('SHA-256 of that certificate (DER), as written on the paper log of the ceremony that made it: the certificate file must match it.'),
              })
              .strict()
              .optional()
              .describe('The evidence token of this HSM (needed by scripts with an evidence.use-key step).'),
            release_authority: z
              .object({
                certificate: z.string().min(1).describe("PEM file of the release key's certificate (the authority initialisation's outputs), relative to the site file."),
                certificate_sha256: z
                  .string()
                  .regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex digits')
                  .describe('SHA-256 of that certificate (DER), as written on the paper log of the initialisation: the file must match it.'),
                signing_log: z.string().min(1).describe("The authority's signing log (append-only, hash-chained), relative to the site file; created by the first signing session."),
              })
              .strict()
              .optional()
              .describe('The release authority on this HSM (needed by release signing sessions): its certificate and signing log.'),
          })
          .strict(),
      )
      .default({}),
    piv: z
      .object({
        module: z.string().min(1).describe("PKCS#11 module for officers' PIV tokens, e.g. /usr/lib/x86_64-linux-gnu/libykcs11.so."),
        attestation_roots: z
          .array(z.string().min(1))
          .min(1)
          .describe("PEM files of the vendors' PIV attestation root certificates (e.g. Yubico's) that device attestations must chain to."),
        roster_sha256: z
          .string()
          .regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex digits')
          .optional()
          .describe('SHA-256 of the current officer roster (printed on the roster.sign evidence page): run --roster refuses any other roster, so an older roster (before a revocation) or a made-up one cannot be used.'),
      })
      .strict()
      .optional()
      .describe("Officers' PIV tokens (needed by scripts with roles of identity piv, piv.enroll or quorum.approve)."),
    manifest_authority: z
      .object({
        release_certificate: z
          .string()
          .min(1)
          .describe("PEM file of the release authority's certificate (its initialisation's outputs), relative to the site file: manifests list only artifacts of release bundles that verify against it."),
        release_certificate_sha256: z
          .string()
          .regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex digits')
          .describe('SHA-256 of that certificate (DER), as written on the paper log of the release authority initialisation: the file must match it.'),
        signing_log: z
          .string()
          .min(1)
          .describe("The manifest authority's signing log (append-only, hash-chained; the last version signed per channel), relative to the site file; created by the first signing session."),
      })
      .strict()
      .optional()
      .describe('The OTA Manifest Signing Authority (needed by manifest signing sessions): the release authority it trusts, and its own signing log.'),
    room: z
      .object({
        boot_medium: z
          .object({
            path: z.string().min(1).describe('The boot medium (a block device such as /dev/sdb) or its image file, relative to the site file or absolute.'),
            sha256: sha256Hex.describe('Its SHA-256, as written on the paper log when the medium was made.'),
            bytes: z.number().int().min(1).optional().describe("How many bytes the image has: a stick larger than the image written to it is hashed over the image's length only."),
          })
          .strict()
          .optional()
          .describe('The medium the ceremony laptop boots from: room.preflight hashes it and compares.'),
        usb_allowlist: z
          .array(z.string().regex(/^[0-9a-f]{4}:[0-9a-f]{4}$/, 'must be vendor:product, 4 lowercase hex digits each (as lsusb prints them)'))
          .default([])
          .describe("USB devices that may be attached (vendor:product), e.g. the HSM and the officers' tokens; the kernel's root hubs are always allowed."),
        officiant_sha256: sha256Hex.optional().describe("SHA-256 of Officiant's installed files, as room.preflight printed it when this laptop was prepared: any other installation fails the check."),
      })
      .strict()
      .optional()
      .describe('The ceremony laptop (checked by room.preflight before the first key): its boot medium, the USB devices allowed, the Officiant installation.'),
  })
  .strict();
export type SiteProfile = z.output<typeof SiteProfile>;
