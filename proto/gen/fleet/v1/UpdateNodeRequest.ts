// Original file: proto/fleet/v1/fleet.proto


export interface UpdateNodeRequest {
  'node'?: (string);
  'setLabels'?: ({[key: string]: string});
  'removeLabels'?: (string)[];
  'maxSlots'?: (number);
}

export interface UpdateNodeRequest__Output {
  'node': (string);
  'setLabels': ({[key: string]: string});
  'removeLabels': (string)[];
  'maxSlots': (number);
}
