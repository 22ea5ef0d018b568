// Loads template.yaml with CloudFormation's short-form tags (!Ref, !Sub, !GetAtt, ...)
// turned into their long form, so scripts and tests read the template as CloudFormation does.
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

const INTRINSICS = ['And', 'Base64', 'Cidr', 'Condition', 'Equals', 'FindInMap', 'GetAZs', 'If', 'ImportValue', 'Join', 'Not', 'Or', 'Select', 'Split', 'Sub', 'Transform', 'ToJsonString', 'Length'];

const customTags = [
  { tag: '!Ref', resolve: (value) => ({ Ref: value }) },
  { tag: '!GetAtt', resolve: (value) => ({ 'Fn::GetAtt': value.split('.') }) },
  { tag: '!GetAtt', collection: 'seq', resolve: (value) => ({ 'Fn::GetAtt': value.toJSON() }) },
  ...INTRINSICS.flatMap((name) => {
    const key = name === 'Condition' ? 'Condition' : `Fn::${name}`;
    return [
      { tag: `!${name}`, resolve: (value) => ({ [key]: value }) },
      { tag: `!${name}`, collection: 'seq', resolve: (value) => ({ [key]: value.toJSON() }) },
      { tag: `!${name}`, collection: 'map', resolve: (value) => ({ [key]: value.toJSON() }) },
    ];
  }),
];

/** @returns {Record<string, any>} the template as plain data */
export function loadTemplate(path) {
  return parse(readFileSync(path, 'utf8'), { customTags, maxAliasCount: -1 });
}
