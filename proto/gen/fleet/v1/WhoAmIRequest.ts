// Original file: proto/fleet/v1/fleet.proto


export interface WhoAmIRequest {
}

export interface WhoAmIRequest__Output {
}
