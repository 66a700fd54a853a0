// Original file: proto/fleet/v1/fleet.proto


export interface ListNodesRequest {
}

export interface ListNodesRequest__Output {
}
