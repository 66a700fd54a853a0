// Original file: proto/fleet/v1/fleet.proto


export interface JoinTokenRef {
  'tokenId'?: (string);
}

export interface JoinTokenRef__Output {
  'tokenId': (string);
}
