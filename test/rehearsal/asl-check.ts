// Structural checks of a rendered Amazon States Language definition that the ASL specification makes
// and asl-validator does not: payload templates (Parameters, Arguments, ItemSelector, ResultSelector,
// ItemReader/ResultWriter Parameters) must be JSON objects — CDK renders a pass-through payload as the
// string "$", which Step Functions rejects or hands to the Lambda verbatim — every Next/Default names
// a state, and a Distributed Map writes its children's results to S3 instead of the 256 KiB state.
type St = Record<string, unknown>;

const TEMPLATE_FIELDS = ['Parameters', 'Arguments', 'ItemSelector', 'ResultSelector'];

export function checkDefinition(def: St, where = ''): string[] {
  const out: string[] = [];
  const states = (def.States ?? {}) as Record<string, St>;
  if (typeof def.StartAt !== 'string' || !(def.StartAt in states)) out.push(`${where}StartAt ${String(def.StartAt)} names no state`);
  for (const [name, s] of Object.entries(states)) {
    const at = `${where}${name}`;
    for (const f of TEMPLATE_FIELDS) {
      if (f in s && (typeof s[f] !== 'object' || s[f] === null || Array.isArray(s[f]))) out.push(`${at}.${f} must be a JSON object, is ${JSON.stringify(s[f])}`);
    }
    for (const f of ['ItemReader', 'ResultWriter']) {
      const r = s[f] as St | undefined;
      if (r && (typeof r.Parameters !== 'object' || r.Parameters === null || Array.isArray(r.Parameters))) out.push(`${at}.${f}.Parameters must be a JSON object`);
    }
    for (const f of ['Next', 'Default']) if (typeof s[f] === 'string' && !((s[f] as string) in states)) out.push(`${at}.${f} → ${String(s[f])} is not a state`);
    for (const c of (s.Catch ?? []) as St[]) if (!((c.Next as string) in states)) out.push(`${at}.Catch → ${String(c.Next)} is not a state`);
    if (s.Type === 'Task' && !s.End && !s.Next) out.push(`${at}: Task without Next or End`);
    const proc = (s.ItemProcessor ?? s.Iterator) as St | undefined;
    if (s.Type === 'Map' && proc) {
      if ((proc.ProcessorConfig as St | undefined)?.Mode === 'DISTRIBUTED' && !s.ResultWriter) {
        out.push(`${at}: a Distributed Map without ResultWriter accumulates child results in the execution (256 KiB payload limit ≈ 950 shards)`);
      }
      out.push(...checkDefinition(proc, `${at}/`));
    }
  }
  return out;
}
