// The fixed texts of the sealed evidence packet (packet.pdf), read from <templateDir>/packet.yaml; page size,
// margins and fonts come from step-page.yaml, so the packet and the step records inside it match. Strict like
// every template: every key required, unknown keys refused, texts may use only their own {placeholders}; a
// problem throws OfficiantError 'env.fs' naming the file and the YAML path, before anything is drawn.
import { join } from 'node:path';
import { z } from 'zod';
import { loadPageTemplate, type PageTemplate } from '../page-template.js';
import type { TemplateReader } from '../template-reader.js';
import { readTemplateFile, text } from '../template-text.js';

export const PACKET_TEMPLATE_FILE = 'packet.yaml';

const PacketTemplateSchema = z
  .object({
    watermark: z.object({ text: text(), banner: text() }).strict(),
    cover: z
      .object({
        title: text(),
        document: text(),
        ceremony: text(),
        version: text(),
        authority: text(),
        ceremonyRun: text(),
        outcome: text(),
        outcomes: z.object({ completed: text(), aborted: text() }).strict(),
        abortReason: text(),
        startedAt: text(),
        endedAt: text(),
        duration: text(),
        steps: text(),
        stepsSummary: text('total', 'completed', 'aborted', 'notReached'),
        course: text(),
        courseSummary: text('deviations', 'pauses', 'absences'),
        participants: text(),
        name: text(),
        role: text(),
        none: text(),
        scriptSha256: text(),
        journalHead: text(),
        readAloud: text(),
        countersign: text(),
        countersignShort: text('signed', 'threshold'),
        countersignNone: text(),
        countersigner: text('name', 'device'),
        leftBehind: text(),
        leftBehindKeys: text('token'),
        leftBehindKey: text('label', 'algorithm', 'purpose', 'spkiSha256'),
        leftBehindFiles: text(),
        leftBehindNone: text(),
        leftBehindAdvice: text(),
        evidenceKey: text(),
        evidenceSubject: text(),
        evidenceCertificate: text(),
        noEvidenceKey: text(),
      })
      .strict(),
    contents: z
      .object({
        title: text(),
        note: text(),
        number: text(),
        step: text(),
        outcome: text(),
        page: text(),
        outcomes: z.object({ completed: text(), aborted: text(), notReached: text() }).strict(),
        noPage: text(),
        noPageNumber: text(),
        appendix: text(),
      })
      .strict(),
    appendix: z
      .object({
        title: text(),
        continued: text(),
        intro: text(),
        file: text(),
        sha256: text(),
        none: text(),
      })
      .strict(),
    footer: z
      .object({
        legal: text(),
        run: text('ceremony', 'version', 'run'),
        page: text('page', 'pages'),
      })
      .strict(),
  })
  .strict();

export type PacketTemplate = z.output<typeof PacketTemplateSchema>;

/** Both templates the packet is drawn with. */
export interface PacketTemplates {
  page: PageTemplate;
  packet: PacketTemplate;
}

/** Reads and validates <templateDir>/packet.yaml; every problem at once, as OfficiantError 'env.fs'. */
export async function loadPacketTemplate(templateDir: string, reader: TemplateReader): Promise<PacketTemplate> {
  const parsed = await readTemplateFile(reader, join(templateDir, PACKET_TEMPLATE_FILE), PacketTemplateSchema);
  return parsed.value;
}

/** step-page.yaml (page settings, fonts) and packet.yaml (wording), in that order. */
export async function loadPacketTemplates(templateDir: string, reader: TemplateReader): Promise<PacketTemplates> {
  return { page: await loadPageTemplate(templateDir, reader), packet: await loadPacketTemplate(templateDir, reader) };
}
