// Original file: proto/fleet/v1/fleet.proto


export interface ListTeamsRequest {
}

export interface ListTeamsRequest__Output {
}
