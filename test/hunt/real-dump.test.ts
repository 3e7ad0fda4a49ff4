// Hunting on the real dev dump: `memq add` analyzes memory.kdump into a store (the Linux engine's
// real Parquet), then every bundled playbook must fire exactly on the processes the scenario table
// (linux-dev/README.md, roles in ground-truth.json) says have that behaviour; IOC search and the
// memory indicator scanner are checked against the miner's known pool URL.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadPlaybooks } from '../../lib/hunt/loader';
import { platformsInScope, runHunt } from '../../lib/hunt/runner';
import { openLocalStore, runQuery, type LocalStore } from '../../lib/engine';
import { addDumpToStore } from '../../lib/store/add';
import { searchIocs } from '../../lib/ioc/search';
import { diffSnapshots } from '../../lib/diff/snapshot-diff';
import { localSqlExecutor } from '../../lib/ioc/local';
import { tableNames } from '../../lib/model';
import { scanIndicators } from '../../lib/os/common/indicators';
import { IMAGES, dumpPath, groundTruth, imagesAvailable, describeWithImages } from '../support/dumps';
import { gtPid, hitKey } from './fixtures';
import { huntCsv, huntFindings, huntMarkdown } from '../../lib/hunt/report';
import { renderIocTable } from '../../lib/cli/hunt-run';

const maybe = describeWithImages;
const ref = { project: 'lab', machine: 'memq-dev', snapshot: 'kdump' };
let dir: string;
let store: LocalStore;

beforeAll(async () => {
  if (!imagesAvailable()) return;
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'memq-hunt-real-'));
  await addDumpToStore(dir, await dumpPath('6.1', 'memory.kdump'), ref);
  // a second machine holding a copy of the same snapshot (cross-machine search)
  for (const t of tableNames) {
    const from = path.join(dir, t, `project=${ref.project}`, `machine=${ref.machine}`);
    if (fs.existsSync(from)) fs.cpSync(from, path.join(dir, t, `project=${ref.project}`, 'machine=memq-dev-clone'), { recursive: true });
  }
  store = openLocalStore(dir);
}, 300_000);

afterAll(() => {
  store?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

maybe('hunt on the real dev dump (memory.kdump)', () => {
  test('each playbook fires exactly where the scenario has the behaviour', async () => {
    const exec = async (text: string) => {
      const r = await runQuery(store, text, { machines: [ref.machine] });
      return { columns: r.columns.map((c) => c.name), rows: r.rows };
    };
    const playbooks = loadPlaybooks();
    const rep = await runHunt(exec, playbooks);
    expect(rep.errors).toBe(0);
    const got: Record<string, string[]> = {};
    for (const r of rep.results) got[r.id] = [...new Set(r.queries.flatMap((q) => q.rows.map(hitKey)))].sort();

    const pid = (...roles: string[]) => roles.map((r) => String(gtPid(r))).sort();
    // the pool URL is in the memory of the miner (argv), of the shell that typed it (history, per
    // ground truth shell_history) and of pid 1, the /init script that started the scenario
    const pool = got['mining-pool-url-in-memory'];
    expect(pool).toEqual(expect.arrayContaining(pid('evil_miner', 'shell')));
    expect(pool.filter((p) => !['1', ...pid('evil_miner', 'shell')].includes(p))).toEqual([]);
    delete got['mining-pool-url-in-memory'];

    const want: Record<string, string[]> = Object.fromEntries(playbooks.filter((p) => p.id !== 'mining-pool-url-in-memory').map((p) => [p.id, []]));
    Object.assign(want, {
      'linux-kernel-thread-name-masquerade': pid('fake_kthread'),
      'linux-deleted-executable': pid('deleted_exe'),
      'linux-exec-from-temp-dir': pid('evil_miner', 'deleted_exe'),
      'linux-exec-from-hidden-path': pid('evil_miner', 'deleted_exe', 'fake_kthread'),
      'linux-cwd-hidden-dir': pid('evil_miner', 'shell'),
      'linux-netcat-network': pid('nc_listener', 'nc_client'),
      cryptominer: pid('evil_miner'),
      // the shell typed `cd /tmp/.hidden` and echoed the pool URL (ground truth shell_history)
      'linux-history-suspicious-commands': pid('shell'),
      'listener-unusual-port': [`${gtPid('httpd')}:8080`],
      'suspicious-port-connection': [`${gtPid('nc_client')}:40358`, `${gtPid('nc_listener')}:4444`].sort(),
    });
    expect(got).toEqual(want);
    // grouped by ATT&CK: Impact holds the miner, Defense Evasion the masquerading
    expect(rep.by_tactic.map((t) => t.shortname)).toEqual(expect.arrayContaining(['defense-evasion', 'command-and-control', 'impact']));
  });

  test('evidence (#14): each hit carries what matched; one roll-up entry per process; markdown and csv reports', async () => {
    const exec = async (text: string) => {
      const r = await runQuery(store, text, { machines: [ref.machine] });
      return { columns: r.columns.map((c) => c.name), rows: r.rows };
    };
    const rep = await runHunt(exec, loadPlaybooks(), { evidence: true, platforms: platformsInScope(store.snapshots(), { machines: [ref.machine] }) });
    expect(rep.errors).toBe(0);
    const h = huntFindings(rep);
    const gt = groundTruth('6.1') as unknown as { shell_history: { entries: { command: string }[] } };
    const shell = h.processes.find((p) => p.process_id === gtPid('shell'))!;
    expect(shell.process_name).toBe('bash');
    // the history playbook shows the matching commands, in time order
    const hist = shell.playbooks.find((p) => p.id === 'linux-history-suspicious-commands')!;
    expect(hist.evidence.some((e) => e.includes(`command=echo 'stratum+tcp://10.9.8.7:3333' > /tmp/.hidden/pool.txt`))).toBe(true);
    const stamps = hist.evidence.map((e) => /timestamp=(\S+)/.exec(e)![1]);
    expect(stamps).toEqual([...stamps].sort());
    for (const e of hist.evidence) expect(gt.shell_history.entries.map((x) => x.command)).toContain(/command=(.*)$/.exec(e)![1]);
    // the mining-URL playbook shows the URL and the address it was found at
    const miner = h.processes.find((p) => p.process_id === gtPid('evil_miner'))!;
    expect(miner.playbooks.find((p) => p.id === 'mining-pool-url-in-memory')!.evidence[0]).toMatch(/^kind=url value=stratum\+tcp:\/\/10\.9\.8\.7:3333 address=0x[0-9a-f]{16} region=/);
    expect(miner.playbooks.find((p) => p.id === 'linux-exec-from-temp-dir')!.evidence).toEqual(['exe_path=/tmp/.hidden/evil-miner']);
    // socket hits name their owner and show the 4-tuple
    const listener = h.processes.find((p) => p.process_id === gtPid('nc_listener'))!;
    expect(listener.process_name).toBe('nc');
    expect(listener.playbooks.find((p) => p.id === 'suspicious-port-connection')!.evidence[0]).toMatch(/local_address=127\.0\.0\.1 local_port=4444 remote_address=127\.0\.0\.1 remote_port=40358/);
    // each process once; the machine summary counts them
    const keys = h.processes.map((p) => `${p.machine}/${p.process_id}`);
    expect(new Set(keys).size).toBe(keys.length);
    expect(h.machines).toEqual([expect.objectContaining({ machine: ref.machine, severity: 'high', processes: h.processes.filter((p) => p.process_id !== null).length })]);
    // reports
    const md = huntMarkdown(rep, h, 'headline');
    expect(md).toMatch(/^# memq hunt report\n/);
    expect(md).toContain('## Summary by machine');
    expect(md).toContain(`### lab/memq-dev/kdump — pid ${gtPid('shell')} bash (medium)`);
    expect(md).toContain('False positives: administrators working in /tmp');
    const csv = huntCsv(h).trimEnd().split('\n');
    expect(csv[0]).toBe('project,machine,snapshot,process_id,process_name,severity,playbook,techniques,evidence,command_line');
    expect(csv.length).toBe(h.findings.length + 1);
    // the README's Hunting example is what the dev dump gives
    const readme = fs.readFileSync(path.join(__dirname, '../../README.md'), 'utf8');
    const histLine = "timestamp=2026-11-25T16:54:05.000Z command=echo 'stratum+tcp://10.9.8.7:3333' > /tmp/.hidden/pool.txt";
    const urlLine = 'kind=url value=stratum+tcp://10.9.8.7:3333 address=0x00007ffef5313f2f region=[stack]';
    expect(hist.evidence).toContain(histLine);
    expect(miner.playbooks.find((p) => p.id === 'mining-pool-url-in-memory')!.evidence).toContain(urlLine);
    expect(readme).toContain('`' + histLine + '`');
    expect(readme).toContain('`' + urlLine + '`');
    // the query text in the outcome stays the playbook's
    expect(rep.results.find((r) => r.id === 'linux-history-suspicious-commands')!.queries[0].query).not.toMatch(/^select/);
  });

  test('ioc: the pool IP is found in the miner command line and memory on both machines', async () => {
    const miner = gtPid('evil_miner');
    const r = await searchIocs(localSqlExecutor(store), ['10.9.8.7', 'stratum+tcp://10.9.8.7:3333']);
    for (const machine of [ref.machine, 'memq-dev-clone']) {
      const here = r.hits.filter((h) => h.machine === machine);
      expect(here.some((h) => h.table === 'process' && h.column === 'command_line' && h.where.process_id === miner)).toBe(true);
      expect(here.some((h) => h.table === 'indicator' && h.where.process_id === miner && h.ioc === '10.9.8.7')).toBe(true);
      expect(here.some((h) => h.table === 'indicator' && h.where.process_id === miner && h.ioc.startsWith('stratum'))).toBe(true);
    }
  });

  test('ioc table output groups per object; the README example holds (#14)', async () => {
    const r = await searchIocs(localSqlExecutor(store), ['evil-miner'], { scope: { machines: [ref.machine] } });
    const out = renderIocTable(r);
    const readme = fs.readFileSync(path.join(__dirname, '../../README.md'), 'utf8');
    const example = readme.split('\n    evil-miner (process_name)\n')[1].split('\n\n')[0].split('\n').map((l) => l.slice(4));
    expect(example.length).toBe(3);
    for (const l of example) expect(out.split('\n')).toContain(l);
  });

  test('diff of a snapshot with its copy is empty', async () => {
    const d = await diffSnapshots(localSqlExecutor(store), ref, { ...ref, machine: 'memq-dev-clone' });
    expect(d.entries).toEqual([]);
  });

  test('indicator table: the miner argv URL and its IP, 14 bytes apart ("stratum+tcp://")', async () => {
    const r = await runQuery(store, `indicator.indicator_object.process_id == ${gtPid('evil_miner')}`, { machines: [ref.machine] }, {});
    const rows = r.rows as { kind: string; value: string; address: string }[];
    const url = rows.find((x) => x.kind === 'url' && x.value === 'stratum+tcp://10.9.8.7:3333');
    expect(url).toBeDefined();
    const ip = rows.find((x) => x.kind === 'ipv4' && x.value === '10.9.8.7' && BigInt(x.address) === BigInt(url!.address) + 14n);
    expect(ip).toBeDefined();
  });
});

maybe('indicator scanner on the raw physical image', () => {
  test('finds the pool URL; every reported offset holds the reported text', async () => {
    const raw = await dumpPath('6.1', 'memory.raw.gz');
    const fd = fs.openSync(raw, 'r');
    const chunk = Buffer.alloc(16 << 20);
    const found: { value: string; offset: bigint }[] = [];
    let checked = 0;
    try {
      const size = fs.fstatSync(fd).size;
      // overlapping chunks so a string on a chunk edge is seen whole by one of them
      for (let pos = 0; pos < size; pos += chunk.length - 4096) {
        const n = fs.readSync(fd, chunk, 0, chunk.length, pos);
        for (const h of scanIndicators(chunk.subarray(0, n), BigInt(pos), { kinds: ['url', 'ipv4'] })) {
          const at = Number(h.address) - pos;
          expect(chunk.toString('latin1', at, at + h.value.length)).toBe(h.value);
          checked++;
          if (h.kind === 'url') found.push({ value: h.value, offset: h.address });
        }
        if (n < chunk.length) break;
      }
    } finally {
      fs.closeSync(fd);
    }
    expect(checked).toBeGreaterThan(0);
    const cmd = groundTruth('6.1').processes.find((p) => p.pid === gtPid('evil_miner'))!.cmdline;
    expect(found.map((f) => f.value)).toContain(cmd[2]);
  }, 120_000);
});

maybe('hunt on a real Windows triage dump (windows-triage/triage_x64.dmp)', () => {
  test('Windows and cross-platform playbooks run without errors and stay silent; Linux ones are skipped', async () => {
    const wdir = fs.mkdtempSync(path.join(os.tmpdir(), 'memq-hunt-win-'));
    const wref = { project: 'lab', machine: 'win', snapshot: 'triage' };
    const wstore = openLocalStore(wdir);
    try {
      await addDumpToStore(wdir, path.join(IMAGES, 'windows-triage', 'triage_x64.dmp'), wref);
      const expected = JSON.parse(fs.readFileSync(path.join(IMAGES, 'windows-triage', 'triage_x64.expected.json'), 'utf8'));
      // the dump's own driver list (DriverCount in the triage header) is what the module playbook sees
      const drivers = await runQuery(wstore, 'module', {});
      expect(drivers.rows.length).toBe(Number(expected.triage_dump64.DriverCount));
      const playbooks = loadPlaybooks();
      const rep = await runHunt(
        async (text) => {
          const r = await runQuery(wstore, text, {});
          return { columns: r.columns.map((c) => c.name), rows: r.rows };
        },
        playbooks,
        { platforms: platformsInScope(wstore.snapshots(), {}) },
      );
      expect(rep.errors).toBe(0);
      expect(rep.skipped.map((s) => s.platform)).toEqual(playbooks.filter((p) => p.platform === 'linux').map(() => 'linux'));
      expect(rep.playbooks_run).toBe(playbooks.filter((p) => p.platform !== 'linux').length);
      // a triage dump holds the System process and the driver list, none of it suspicious
      expect(rep.results.filter((r) => r.count > 0).map((r) => r.id)).toEqual([]);
    } finally {
      wstore.close();
      fs.rmSync(wdir, { recursive: true, force: true });
    }
  }, 300_000);
});
