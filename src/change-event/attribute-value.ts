/**
 * DynamoDB AttributeValue as both sources deliver it: Lambda's stream event (JSON, so
 * binary arrives as a base64 string) and the AWS SDK (binary as Uint8Array). One
 * structural type covers both, so the codec never needs to know where a value came from.
 */
export type Binary = string | Uint8Array;

export interface AttributeValue {
  S?: string;
  N?: string;
  B?: Binary;
  BOOL?: boolean;
  NULL?: boolean;
  M?: Record<string, AttributeValue>;
  L?: AttributeValue[];
  SS?: string[];
  NS?: string[];
  BS?: Binary[];
}

/** An item, or an item's key: attribute name to value. */
export type AttributeMap = Record<string, AttributeValue>;
