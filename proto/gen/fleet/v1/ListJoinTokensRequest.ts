// Original file: proto/fleet/v1/fleet.proto


export interface ListJoinTokensRequest {
}

export interface ListJoinTokensRequest__Output {
}
