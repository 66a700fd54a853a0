// Original file: proto/fleet/v1/fleet.proto


export interface TeamBudgets {
  'spent'?: ({[key: string]: string});
}

export interface TeamBudgets__Output {
  'spent': ({[key: string]: string});
}
