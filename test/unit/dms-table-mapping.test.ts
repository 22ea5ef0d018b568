/**
 * dms/table-mapping.json is what an operator pastes into the DMS task (docs/source-position.md):
 * it must be valid table-mapping JSON whose `add-column` rules write exactly the attributes the
 * forwarder and the backfill read by default.
 * Rule shape: https://docs.aws.amazon.com/dms/latest/userguide/CHAP_Tasks.CustomizingTasks.TableMapping.SelectionTransformation.Expressions.html
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_ORIGIN_ATTRIBUTES, DMS_HEADER_EXPRESSIONS, type OriginAttributeNames } from '../../src/change-event';
import { loadOriginOptions } from '../../src/config/origin';
import { loadProjectTemplate, ROOT } from '../support/sam-local';

interface Rule {
  'rule-type': string;
  'rule-id': string;
  'rule-name': string;
  'rule-action': string;
  'rule-target'?: string;
  'object-locator': { 'schema-name': string; 'table-name': string };
  value?: string;
  expression?: string;
  'data-type'?: { type: string; length?: number; precision?: number };
}

const MAPPING_PATH = join(ROOT, 'dms/table-mapping.json');
const text = readFileSync(MAPPING_PATH, 'utf8');
const FIELDS = Object.keys(DMS_HEADER_EXPRESSIONS) as Array<keyof OriginAttributeNames>;
/** The template parameter that names each field's attribute. */
const PARAMETER: Record<keyof OriginAttributeNames, string> = {
  commitTime: 'OriginCommitTimeAttribute',
  changeSequence: 'OriginChangeSequenceAttribute',
  transactionId: 'OriginTransactionIdAttribute',
  streamPosition: 'OriginStreamPositionAttribute',
};

describe('dms/table-mapping.json', () => {
  const mapping = JSON.parse(text) as { rules: Rule[] };
  const addColumns = mapping.rules.filter((rule) => rule['rule-action'] === 'add-column');

  it('is table-mapping JSON with unique rule ids and names and at least one selection rule', () => {
    // Assess
    expect(Array.isArray(mapping.rules)).toBe(true);
    const ids = mapping.rules.map((rule) => rule['rule-id']);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^[1-9]\d*$/);
    const names = mapping.rules.map((rule) => rule['rule-name']);
    expect(new Set(names).size).toBe(names.length);
    expect(mapping.rules.some((rule) => rule['rule-type'] === 'selection' && rule['rule-action'] === 'include')).toBe(true);
  });

  it('has one wildcard add-column rule per header the forwarder reads, writing the default attribute names', () => {
    // Assess
    expect(addColumns).toHaveLength(FIELDS.length);
    for (const field of FIELDS) {
      const rules = addColumns.filter((rule) => rule.expression === DMS_HEADER_EXPRESSIONS[field]);
      expect(rules).toHaveLength(1);
      const rule = rules[0]!;
      expect(rule).toMatchObject({ 'rule-type': 'transformation', 'rule-target': 'column', 'object-locator': { 'schema-name': '%', 'table-name': '%' } });
      expect(rule.value).toBe(DEFAULT_ORIGIN_ATTRIBUTES[field]);
      expect(rule['data-type']?.type).toEqual(expect.any(String));
    }
  });

  it('is the mapping docs/source-position.md shows, character for character', () => {
    // Prepare
    const page = readFileSync(join(ROOT, 'docs/source-position.md'), 'utf8');
    const block = /## The table mapping to paste into DMS[\s\S]*?```json\n([\s\S]*?)```/.exec(page)?.[1];
    // Assess
    expect(block).toBe(text);
  });

  it('writes the columns the template and the functions use by default', () => {
    // Prepare
    const template = loadProjectTemplate();
    const defaults = loadOriginOptions({});
    // Assess
    for (const field of FIELDS) {
      const column = addColumns.find((rule) => rule.expression === DMS_HEADER_EXPRESSIONS[field])?.value;
      expect(template.Parameters[PARAMETER[field]].Default).toBe(column);
      expect(defaults.attributes[field]).toBe(column);
    }
    expect(template.Parameters.OriginKeepAttributes.Default).toBe(String(defaults.keepAttributes));
  });
});
