// Original file: proto/fleet/v1/fleet.proto


export interface ListAccessTokensRequest {
}

export interface ListAccessTokensRequest__Output {
}
