// YARA matches in the store: `memq add --yara-rules` on the rootkit-dev dump writes the yara_match
// table, which the query language (object `yara`, and `process.yara_object`), a playbook and the IOC
// search all read — checked against the ground truth's keylogger buffer and the miner's pid.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { addDumpToStore } from '../../lib/store/add';
import { openLocalStore, runQuery, type LocalStore } from '../../lib/engine';
import { compileRules } from '../../lib/yara/engine';
import { searchIocs } from '../../lib/ioc/search';
import { localSqlExecutor } from '../../lib/ioc/local';
import { parsePlaybook } from '../../lib/hunt/loader';
import { runHunt } from '../../lib/hunt/runner';
import { IMAGES } from '../support/dumps';

jest.setTimeout(600_000);

const DIR = path.join(IMAGES, 'linux-dev-rootkit');
const gt = JSON.parse(fs.readFileSync(path.join(DIR, 'ground-truth.json'), 'utf8'));
const hook = (gt.rootkit.hooks as { type: string; keylog_addr: string; keylog_in_dump: string }[]).find((h) => h.type === 'keyboard_notifier')!;
const ref = { project: 'lab', machine: 'memq-dev-rootkit', snapshot: 'yara' };
let dir: string;
let store: LocalStore;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'memq-yara-store-'));
  const scanner = await compileRules([
    {
      name: 'rk.yar',
      text: 'rule keylog : keylogger { strings: $k = "memqdevkeylog42" condition: $k }\nrule miner_heap { strings: $a = "MEMQ-HEAP:wallet" condition: $a }\n',
    },
  ]);
  try {
    const m = await addDumpToStore(dir, path.join(DIR, 'memory.kdump'), ref, { yara: { scanner } });
    expect(m.counts.yara_match).toBeGreaterThan(0);
  } finally {
    scanner.free();
  }
  store = openLocalStore(dir);
});
afterAll(() => {
  store?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

test('query: the keylogger buffer match, in the hidden module, at the ground-truth address (+1: keys from index 1)', async () => {
  const r = await runQuery(store, 'select yara.yara_object.module_name, yara.yara_object.address, yara.yara_object.tags, yara.yara_object.namespace where yara.yara_object.rule == "keylog"');
  expect(r.rows.map((x) => [x['yara_object.module_name'] ?? x.module_name, String(x['yara_object.address'] ?? x.address)])).toEqual([
    ['memq_testkit', `0x${(BigInt(hook.keylog_addr) + 1n).toString(16)}`],
  ]);
});

test("query through the process: the miner's heap buffer is a yara_object of the evil_miner process", async () => {
  const r = await runQuery(store, 'select distinct process.process_object.process_id where process.yara_object.rule == "miner_heap" && process.yara_object.file_name == "[heap]"');
  expect(r.rows.map((x) => Object.values(x).map(String).pop())).toEqual([String(gt.roles.evil_miner)]);
});

test('a playbook over yara_match fires on the module match; the IOC search finds the keylog text in yara_match', async () => {
  const pb = parsePlaybook(
    'id: yara-keylogger\ntitle: keylogger rule matched\ndescription: test\nattack: [T1056.001]\nseverity: high\nplatform: linux\nqueries:\n  - yara.yara_object.tags contains "keylogger"\n',
    'yara-keylogger.yml',
  );
  const rep = await runHunt(async (text) => {
    const q = await runQuery(store, text);
    return { columns: q.columns.map((c) => c.name), rows: q.rows };
  }, [pb]);
  expect(rep.fired).toBe(1);
  const hits = await searchIocs(localSqlExecutor(store), [`text:${hook.keylog_in_dump}`], { tables: ['yara_match'] });
  expect(hits.hits.some((h) => h.table === 'yara_match' && h.column === 'data_preview')).toBe(true);
});
