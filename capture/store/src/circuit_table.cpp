#include "circuit_table.h"

#include <algorithm>
#include <cmath>

#include "capture_layout.h"
#include "dataset_io.h"
#include "hdf5_attributes.h"
#include "hdf5_handle.h"

namespace attnscope::store::detail {
namespace {

// Rows per chunk of every column: 64 Ki rows keep a chunk under 256 KiB.
constexpr hsize_t kChunkRows = hsize_t{1} << 16;

// Node count of the edge graph of this shape: input, per layer the heads and the MLP, logits.
int64_t nodeCount(const CircuitRecord& c) {
    return 2 + c.layers * (c.heads + 1);
}

void checkShape(const CircuitRecord& c, const std::string& what) {
    if (c.layers < 1 || c.heads < 1 || c.kvHeads < 1 || c.heads % c.kvHeads != 0 ||
        c.layers > (1 << 16) || c.heads > (1 << 16))
        fail(what + " has an impossible graph shape (" + std::to_string(c.layers) + " layers, " +
             std::to_string(c.heads) + " heads, " + std::to_string(c.kvHeads) + " KV heads)");
}

void checkColumns(const CircuitRecord& c, const std::string& what) {
    checkShape(c, what);
    const size_t rows = c.sender.size();
    if (c.receiver.size() != rows || c.port.size() != rows || c.score.size() != rows ||
        c.kept.size() != rows)
        fail(what + ": the edge columns differ in length (sender " + std::to_string(rows) +
             ", receiver " + std::to_string(c.receiver.size()) + ", port " +
             std::to_string(c.port.size()) + ", score " + std::to_string(c.score.size()) +
             ", kept " + std::to_string(c.kept.size()) + ")");
    if (rows > kMaxCircuitEdges) fail(what + " has more edges than a circuit table allows");
    const int64_t nodes = nodeCount(c);
    for (size_t i = 0; i < rows; ++i) {
        if (c.sender[i] < 0 || c.sender[i] >= nodes || c.receiver[i] < 0 || c.receiver[i] >= nodes)
            fail(what + ": edge row " + std::to_string(i) + " names node " +
                 std::to_string(c.sender[i] < 0 || c.sender[i] >= nodes ? c.sender[i]
                                                                        : c.receiver[i]) +
                 ", but the graph has nodes 0.." + std::to_string(nodes - 1));
        const char p = c.port[i];
        if (p != 'q' && p != 'k' && p != 'v' && p != '-')
            fail(what + ": edge row " + std::to_string(i) + " has port '" + std::string(1, p) +
                 "' (expected q, k, v or -)");
        if (c.kept[i] > 1)
            fail(what + ": edge row " + std::to_string(i) +
                 " has kept = " + std::to_string(c.kept[i]) + " (expected 0 or 1)");
    }
    if (!c.nodeNames.empty() && static_cast<int64_t>(c.nodeNames.size()) != nodes)
        fail(what + ": 'nodes' has " + std::to_string(c.nodeNames.size()) +
             " names, but the graph has " + std::to_string(nodes) + " nodes");
    if (c.positions < 0 || c.positions > kMaxCircuitPositions)
        fail(what + ": " + std::to_string(c.positions) + " positions (expected 0.." +
             std::to_string(kMaxCircuitPositions) + ")");
    if (c.positionScore.size() != rows * static_cast<size_t>(c.positions))
        fail(what + ": 'position_score' has " + std::to_string(c.positionScore.size()) +
             " values, but " + std::to_string(rows) + " edges at " + std::to_string(c.positions) +
             " positions need " + std::to_string(rows * static_cast<size_t>(c.positions)));
    const size_t points = c.curveFraction.size();
    if (c.curveEdges.size() != points || c.curveFaithfulness.size() != points)
        fail(what + ": the curve columns differ in length");
}

Handle createColumn(hid_t group, const char* name, hid_t fileType, size_t rows) {
    const hsize_t dims[1] = {rows};
    Handle space(check(H5Screate_simple(1, dims, nullptr), "cannot create dataspace"));
    Handle dcpl(check(H5Pcreate(H5P_DATASET_CREATE), "cannot create property list"));
    if (rows > 0) {
        const hsize_t chunk[1] = {std::min<hsize_t>(rows, kChunkRows)};
        checkStatus(H5Pset_chunk(dcpl.get(), 1, chunk), "cannot chunk '" + std::string(name) + "'");
        if (H5Zfilter_avail(H5Z_FILTER_DEFLATE) > 0) {
            checkStatus(H5Pset_shuffle(dcpl.get()), "cannot enable shuffle");
            checkStatus(H5Pset_deflate(dcpl.get(), 4), "cannot enable deflate");
        }
    }
    return Handle(
        check(H5Dcreate2(group, name, fileType, space.get(), H5P_DEFAULT, dcpl.get(), H5P_DEFAULT),
              "cannot create '" + std::string(name) + "' in '" + objectName(group) + "'"));
}

template <class T>
void writeColumn(hid_t group, const char* name, hid_t fileType, hid_t memType,
                 const std::vector<T>& values) {
    Handle dataset = createColumn(group, name, fileType, values.size());
    if (values.empty()) return;
    checkStatus(H5Dwrite(dataset.get(), memType, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()),
                "cannot write '" + std::string(name) + "'");
}

// A one-character string type: h5py reads the port column as numpy `S1`.
Handle portType() {
    Handle type(check(H5Tcopy(H5T_C_S1), "cannot create string type"));
    checkStatus(H5Tset_size(type.get(), 1), "cannot create string type");
    checkStatus(H5Tset_strpad(type.get(), H5T_STR_NULLPAD), "cannot create string type");
    return type;
}

// Reads a 1-D column of `rows` elements whose HDF5 class must be `typeClass`, converted to
// `memType`.
template <class T>
std::vector<T> readColumn(hid_t group, const char* name, H5T_class_t typeClass, hid_t memType,
                          size_t rows) {
    Handle dataset = openDataset(group, name);
    const std::string where = "'" + objectName(dataset.get()) + "'";
    const std::vector<int64_t> shape = datasetShape(dataset.get());
    if (shape.size() != 1) fail(where + " is not one-dimensional");
    if (static_cast<size_t>(shape[0]) != rows)
        fail(where + " has " + std::to_string(shape[0]) + " rows, but 'sender' has " +
             std::to_string(rows));
    Handle fileType(check(H5Dget_type(dataset.get()), "cannot get type of " + where));
    if (H5Tget_class(fileType.get()) != typeClass) fail(where + " has the wrong element type");
    if (typeClass == H5T_STRING &&
        (H5Tis_variable_str(fileType.get()) != 0 || H5Tget_size(fileType.get()) != 1))
        fail(where + " is not a column of one-character strings");
    std::vector<T> values(rows);
    if (rows == 0) return values;
    checkStatus(H5Dread(dataset.get(), memType, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()),
                "cannot read " + where);
    return values;
}

size_t rowCount(hid_t group) {
    Handle dataset = openDataset(group, "sender");
    const std::vector<int64_t> shape = datasetShape(dataset.get());
    if (shape.size() != 1) fail("'" + objectName(dataset.get()) + "' is not one-dimensional");
    if (static_cast<size_t>(shape[0]) > kMaxCircuitEdges)
        fail("'" + objectName(dataset.get()) + "' has more edges than a circuit table allows");
    return static_cast<size_t>(shape[0]);
}

void writeDouble(hid_t object, const char* name, double value) {
    const hsize_t one = 1;
    Handle space(check(H5Screate_simple(1, &one, nullptr), "cannot create dataspace"));
    Handle attribute(
        check(H5Acreate2(object, name, H5T_IEEE_F64LE, space.get(), H5P_DEFAULT, H5P_DEFAULT),
              "cannot create attribute '" + std::string(name) + "'"));
    checkStatus(H5Awrite(attribute.get(), H5T_NATIVE_DOUBLE, &value),
                "cannot write attribute '" + std::string(name) + "'");
}

double readDouble(hid_t object, const char* name) {
    if (H5Aexists(object, name) <= 0) return std::nan("");
    Handle attribute(check(H5Aopen(object, name, H5P_DEFAULT),
                           "cannot open attribute '" + std::string(name) + "'"));
    Handle space(check(H5Aget_space(attribute.get()), "cannot read attribute"));
    if (H5Sget_simple_extent_npoints(space.get()) != 1)
        fail("attribute '" + std::string(name) + "' of '" + objectName(object) +
             "' is not a single number");
    Handle type(check(H5Aget_type(attribute.get()), "cannot read attribute"));
    if (H5Tget_class(type.get()) != H5T_FLOAT)
        fail("attribute '" + std::string(name) + "' of '" + objectName(object) +
             "' is not a number");
    double value = 0;
    checkStatus(H5Aread(attribute.get(), H5T_NATIVE_DOUBLE, &value),
                "cannot read attribute '" + std::string(name) + "'");
    return value;
}

}  // namespace

void writeCircuitGroup(hid_t circuitsGroup, const std::string& name, const CircuitRecord& c) {
    checkLinkName(name, "circuit name");
    checkColumns(c, "circuit '" + name + "'");
    requireJson(c.parametersJson, "circuit parameters");
    if (hasLink(circuitsGroup, name))
        checkStatus(H5Ldelete(circuitsGroup, name.c_str(), H5P_DEFAULT),
                    "cannot replace circuit '" + name + "'");
    Handle group(createOrderedGroup(circuitsGroup, name));
    const hid_t g = group.get();
    writeInt64Attribute(g, "layers", c.layers);
    writeInt64Attribute(g, "heads", c.heads);
    writeInt64Attribute(g, "kv_heads", c.kvHeads);
    writeStringAttribute(g, "method", c.method);
    writeStringAttribute(g, "metric", c.metric);
    writeStringAttribute(g, "ablation", c.ablation);
    writeStringAttribute(g, "parameters", c.parametersJson);
    writeStringAttribute(g, "fingerprint", c.fingerprint);
    writeDouble(g, "cpr", c.cpr);
    writeDouble(g, "cmd", c.cmd);

    if (!c.nodeNames.empty()) writeStringDataset(g, "nodes", c.nodeNames);
    writeColumn(g, "sender", H5T_STD_I32LE, H5T_NATIVE_INT32, c.sender);
    writeColumn(g, "receiver", H5T_STD_I32LE, H5T_NATIVE_INT32, c.receiver);
    Handle port = portType();
    writeColumn(g, "port", port.get(), port.get(), c.port);
    writeColumn(g, "score", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, c.score);
    writeColumn(g, "kept", H5T_STD_U8LE, H5T_NATIVE_UINT8, c.kept);
    if (c.positions > 0) {
        FloatDatasetOptions options;
        options.compress = true;
        writeFloatDataset(
            g, "position_score",
            {c.positionScore.data(), {static_cast<int64_t>(c.sender.size()), c.positions}},
            options);
    }

    Handle curve(createOrderedGroup(g, "curve"));
    writeColumn(curve.get(), "fraction", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, c.curveFraction);
    writeColumn(curve.get(), "edges", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, c.curveEdges);
    writeColumn(curve.get(), "faithfulness", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE,
                c.curveFaithfulness);
}

CircuitRecord readCircuitGroup(hid_t circuitsGroup, const std::string& name) {
    checkLinkName(name, "circuit name");
    Handle group = openGroup(circuitsGroup, name);
    const hid_t g = group.get();
    const std::string what = "circuit '" + objectName(g) + "'";
    CircuitRecord c;
    c.layers = requireInt64Attribute(g, "layers");
    c.heads = requireInt64Attribute(g, "heads");
    c.kvHeads = requireInt64Attribute(g, "kv_heads");
    checkShape(c, what);
    c.method = readStringAttribute(g, "method").value_or("");
    c.metric = readStringAttribute(g, "metric").value_or("");
    c.ablation = readStringAttribute(g, "ablation").value_or("");
    c.parametersJson = readStringAttribute(g, "parameters").value_or("{}");
    requireJson(c.parametersJson, "parameters of " + what);
    c.fingerprint = readStringAttribute(g, "fingerprint").value_or("");
    c.cpr = readDouble(g, "cpr");
    c.cmd = readDouble(g, "cmd");

    if (hasLink(g, "nodes")) {
        Handle nodes = openDataset(g, "nodes");
        c.nodeNames = readStrings(nodes.get(), static_cast<size_t>(nodeCount(c)));
    }
    const size_t rows = rowCount(g);
    c.sender = readColumn<int32_t>(g, "sender", H5T_INTEGER, H5T_NATIVE_INT32, rows);
    c.receiver = readColumn<int32_t>(g, "receiver", H5T_INTEGER, H5T_NATIVE_INT32, rows);
    Handle port = portType();
    c.port = readColumn<char>(g, "port", H5T_STRING, port.get(), rows);
    c.score = readColumn<float>(g, "score", H5T_FLOAT, H5T_NATIVE_FLOAT, rows);
    c.kept = readColumn<uint8_t>(g, "kept", H5T_INTEGER, H5T_NATIVE_UINT8, rows);
    if (hasLink(g, "position_score")) {
        Handle scores = openDataset(g, "position_score");
        const std::vector<int64_t> shape = datasetShape(scores.get());
        if (shape.size() != 2 || static_cast<size_t>(shape[0]) != rows || shape[1] < 1 ||
            shape[1] > kMaxCircuitPositions)
            fail(what + ": 'position_score' must be [edges, positions] with " +
                 std::to_string(rows) + " edge rows and 1.." +
                 std::to_string(kMaxCircuitPositions) + " positions");
        // A declared shape costs nothing on disk: bound what it makes the reader allocate.
        if (rows * static_cast<size_t>(shape[1]) > kMaxCircuitPositionScores)
            fail(what + ": 'position_score' has more values than a circuit table allows");
        c.positions = shape[1];
        c.positionScore = readFloats(scores.get(), {0, 0}, shape);
    }

    if (hasLink(g, "curve")) {
        Handle curve = openGroup(g, "curve");
        Handle fraction = openDataset(curve.get(), "fraction");
        const std::vector<int64_t> shape = datasetShape(fraction.get());
        if (shape.size() != 1 || shape[0] > 4096)
            fail(what + ": 'curve/fraction' is not a short one-dimensional column");
        const auto points = static_cast<size_t>(shape[0]);
        c.curveFraction =
            readColumn<double>(curve.get(), "fraction", H5T_FLOAT, H5T_NATIVE_DOUBLE, points);
        c.curveEdges =
            readColumn<double>(curve.get(), "edges", H5T_FLOAT, H5T_NATIVE_DOUBLE, points);
        c.curveFaithfulness =
            readColumn<double>(curve.get(), "faithfulness", H5T_FLOAT, H5T_NATIVE_DOUBLE, points);
    }
    checkColumns(c, what);
    return c;
}

}  // namespace attnscope::store::detail
