// Generates enterprise-attack.json (the compact ATT&CK table memq validates playbooks against) from the
// STIX 2 data MITRE publishes in the public mitre/cti repository (github.com/mitre/cti,
// enterprise-attack/{attack-pattern,x-mitre-tactic,x-mitre-matrix}/*.json, one bundle per object).
// No registry package ships the ATT&CK data itself (@mitre-attack/attack-data-model downloads it at
// run time), so the table is generated once and committed.
//
//   npx tsx lib/hunt/attack/generate.ts <cti checkout>/enterprise-attack "<release label>" \
//     > lib/hunt/attack/enterprise-attack.json
import * as fs from 'node:fs';
import * as path from 'node:path';

interface StixObject {
  type: string;
  id: string;
  name?: string;
  revoked?: boolean;
  x_mitre_deprecated?: boolean;
  x_mitre_shortname?: string;
  x_mitre_platforms?: string[];
  x_mitre_is_subtechnique?: boolean;
  tactic_refs?: string[];
  kill_chain_phases?: { kill_chain_name: string; phase_name: string }[];
  external_references?: { source_name: string; external_id?: string }[];
}

function readObjects(dir: string): StixObject[] {
  if (!fs.existsSync(dir)) return [];
  const out: StixObject[] = [];
  for (const f of fs.readdirSync(dir).sort()) {
    if (!f.endsWith('.json')) continue;
    const bundle = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as { objects?: StixObject[] };
    out.push(...(bundle.objects ?? []));
  }
  return out;
}

function attackId(o: StixObject): string | undefined {
  return o.external_references?.find((r) => r.source_name === 'mitre-attack')?.external_id;
}

function main(): void {
  const [root, release = 'unknown'] = process.argv.slice(2);
  if (!root) throw new Error('usage: generate.ts <mitre/cti>/enterprise-attack [release label]');
  const tacticObjs = readObjects(path.join(root, 'x-mitre-tactic')).filter((o) => !o.revoked && !o.x_mitre_deprecated);
  const matrix = readObjects(path.join(root, 'x-mitre-matrix')).find((o) => o.type === 'x-mitre-matrix');
  const order = matrix?.tactic_refs ?? tacticObjs.map((t) => t.id);
  const tactics = order
    .map((ref) => tacticObjs.find((t) => t.id === ref))
    .filter((t): t is StixObject => !!t)
    .map((t) => ({ id: attackId(t)!, shortname: t.x_mitre_shortname!, name: t.name! }));

  const techniques: Record<string, { name: string; tactics: string[]; platforms: string[] }> = {};
  const retired: Record<string, string> = {};
  for (const o of readObjects(path.join(root, 'attack-pattern'))) {
    const id = attackId(o);
    if (o.type !== 'attack-pattern' || !id || !/^T\d{4}(\.\d{3})?$/.test(id)) continue;
    if (o.revoked || o.x_mitre_deprecated) {
      retired[id] = o.revoked ? 'revoked' : 'deprecated';
      continue;
    }
    techniques[id] = {
      name: o.name!,
      tactics: (o.kill_chain_phases ?? []).filter((k) => k.kill_chain_name === 'mitre-attack').map((k) => k.phase_name),
      platforms: o.x_mitre_platforms ?? [],
    };
  }
  const sorted = <T>(r: Record<string, T>) => Object.fromEntries(Object.keys(r).sort().map((k) => [k, r[k]]));
  const out = {
    source: 'MITRE ATT&CK Enterprise, STIX 2 data from github.com/mitre/cti (enterprise-attack/)',
    release,
    license: 'ATT&CK is © The MITRE Corporation; reproduced under the ATT&CK Terms of Use (royalty-free, with attribution)',
    tactics,
    techniques: sorted(techniques),
    retired: sorted(retired),
  };
  process.stdout.write(JSON.stringify(out, null, 1) + '\n');
}

main();
