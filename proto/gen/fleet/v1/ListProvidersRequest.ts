// Original file: proto/fleet/v1/fleet.proto


export interface ListProvidersRequest {
}

export interface ListProvidersRequest__Output {
}
