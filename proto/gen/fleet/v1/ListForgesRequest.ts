// Original file: proto/fleet/v1/fleet.proto


export interface ListForgesRequest {
}

export interface ListForgesRequest__Output {
}
