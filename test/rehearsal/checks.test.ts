// Unit checks of the rehearsal's own pieces that judge shipped artifacts: the ASL payload check must
// flag the "Parameters": "$" rendering CDK produced for pass-through payloads, and the EventBridge
// matcher must select the dumps/ rule's events and nothing else.
import { checkDefinition } from './asl-check';
import { matchesPattern } from './event-pattern';

describe('ASL structural check', () => {
  const task = (extra: object) => ({ Type: 'Task', Resource: 'arn:aws:lambda:us-east-1:1:function:f', End: true, ...extra });
  test('a string Parameters (the CDK pass-through rendering) is an error', () => {
    expect(checkDefinition({ StartAt: 'Plan', States: { Plan: task({ Parameters: '$' }) } })).toEqual(['Plan.Parameters must be a JSON object, is "$"']);
  });
  test('object payloads, valid transitions: no finding', () => {
    expect(checkDefinition({ StartAt: 'A', States: { A: task({ Parameters: { 'job.$': '$.job' }, End: undefined, Next: 'B' }), B: { Type: 'Succeed' } } })).toEqual([]);
  });
  test('a Distributed Map without ResultWriter, and a dangling Next, are reported', () => {
    const map = { Type: 'Map', Next: 'Nowhere', ItemProcessor: { ProcessorConfig: { Mode: 'DISTRIBUTED' }, StartAt: 'S', States: { S: task({ Parameters: '$' }) } } };
    const found = checkDefinition({ StartAt: 'M', States: { M: map } });
    expect(found).toEqual(expect.arrayContaining([expect.stringContaining('M.Next → Nowhere'), expect.stringContaining('without ResultWriter'), 'M/S.Parameters must be a JSON object, is "$"']));
  });
});

describe('EventBridge pattern', () => {
  const pattern = { source: ['aws.s3'], 'detail-type': ['Object Created'], detail: { bucket: { name: ['dumps-b'] }, object: { key: [{ prefix: 'dumps/' }] } } };
  const ev = (bucket: string, key: string) => ({ source: 'aws.s3', 'detail-type': 'Object Created', detail: { bucket: { name: bucket }, object: { key } } });
  test('matches an upload under dumps/ of the dumps bucket', () => expect(matchesPattern(pattern, ev('dumps-b', 'dumps/o/p/m/x.raw'))).toBe(true));
  test('ignores other prefixes, buckets and event types', () => {
    expect(matchesPattern(pattern, ev('dumps-b', 'other/x'))).toBe(false);
    expect(matchesPattern(pattern, ev('lake', 'dumps/x'))).toBe(false);
    expect(matchesPattern(pattern, { ...ev('dumps-b', 'dumps/x'), 'detail-type': 'Object Deleted' })).toBe(false);
  });
});
