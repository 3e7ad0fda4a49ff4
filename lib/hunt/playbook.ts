// The playbook format: one YAML file per hunt, with ATT&CK technique ids, severity, platform and one
// or more queries in the memq query language. This zod schema is the format's single definition;
// the loader (loader.ts) checks ATT&CK ids and query syntax on top of it.
import { z } from 'zod';

export const severities = ['info', 'low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof severities)[number];

export const playbookPlatforms = ['linux', 'windows', 'both'] as const;
export type PlaybookPlatform = (typeof playbookPlatforms)[number];

const querySchema = z.union([
  z.string().min(1),
  z
    .object({
      title: z.string().min(1).optional(),
      query: z.string().min(1),
    })
    .strict(),
]);

export const playbookSchema = z
  .object({
    id: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]{2,79}$/, 'lower-case letters, digits and dashes (3-80 characters)'),
    title: z.string().min(3).max(200),
    description: z.string().min(1),
    attack: z.array(z.string()).min(1, 'at least one ATT&CK technique id'),
    severity: z.enum(severities),
    platform: z.enum(playbookPlatforms),
    queries: z.array(querySchema).min(1, 'at least one query'),
    references: z.array(z.string()).optional(),
    false_positives: z.string().optional(),
  })
  .strict();

export type PlaybookFile = z.infer<typeof playbookSchema>;

export interface PlaybookQuery {
  title: string;
  query: string;
}

/** A validated playbook, queries normalized to {title, query}. */
export interface Playbook extends Omit<PlaybookFile, 'queries'> {
  queries: PlaybookQuery[];
  /** file it was loaded from ('' for in-memory playbooks) */
  file: string;
}

export const severityRank: Record<Severity, number> = { info: 0, low: 1, medium: 2, high: 3, critical: 4 };
