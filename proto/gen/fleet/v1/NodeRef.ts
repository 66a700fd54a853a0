// Original file: proto/fleet/v1/fleet.proto


export interface NodeRef {
  'node'?: (string);
}

export interface NodeRef__Output {
  'node': (string);
}
