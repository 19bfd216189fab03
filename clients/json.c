/* SPDX-License-Identifier: BSD-3-Clause */
/* Any reply as JSON (jansson): field names as in the .proto, enums by
 * name, absent optional fields absent, repeated fields as arrays. */
#include <jansson.h>

#include "client.h"

static json_t *value_json(const ProtobufCFieldDescriptor *f, const void *p)
{
	switch (f->type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
		return json_integer(*(const int32_t *)p);
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		return json_integer(*(const uint32_t *)p);
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		return json_integer((json_int_t)*(const uint64_t *)p);
	case PROTOBUF_C_TYPE_FLOAT:
		return json_real(*(const float *)p);
	case PROTOBUF_C_TYPE_DOUBLE:
		return json_real(*(const double *)p);
	case PROTOBUF_C_TYPE_BOOL:
		return json_boolean(*(const protobuf_c_boolean *)p);
	case PROTOBUF_C_TYPE_ENUM: {
		const ProtobufCEnumValue *ev =
			protobuf_c_enum_descriptor_get_value(f->descriptor, *(const int *)p);
		return ev != NULL ? json_string(ev->name) : json_integer(*(const int *)p);
	}
	case PROTOBUF_C_TYPE_STRING:
		return json_string(*(char *const *)p);
	case PROTOBUF_C_TYPE_MESSAGE:
		return client_to_json(*(ProtobufCMessage *const *)p);
	default:
		return json_null();
	}
}

static void json_field(const ProtobufCFieldDescriptor *f, const void *p, size_t k, void *arg)
{
	json_t *obj = arg;
	json_t *v = value_json(f, p);
	if (f->label != PROTOBUF_C_LABEL_REPEATED) {
		json_object_set_new(obj, f->name, v);
		return;
	}
	if (k == 0)
		json_object_set_new(obj, f->name, json_array());
	json_array_append_new(json_object_get(obj, f->name), v);
}

json_t *client_to_json(const ProtobufCMessage *m)
{
	json_t *obj = json_object();
	client_foreach_field(m, json_field, obj);
	return obj;
}
