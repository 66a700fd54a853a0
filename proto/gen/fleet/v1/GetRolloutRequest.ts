// Original file: proto/fleet/v1/fleet.proto


export interface GetRolloutRequest {
}

export interface GetRolloutRequest__Output {
}
