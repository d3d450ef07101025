/* The stand-in engine's enqueue as one native call, for scripts/bench_gpu.py.
 *
 * TensorRT's execute_async_v3 is a pybind11 binding: one C++ call from Python (pybind11's dispatch and
 * argument casting cost somewhat more than this bare METH_FASTCALL function). The stand-in engine's
 * (tests/gpu/standin_engine.py) is Python around cuda-python's cuLaunchKernel, 1.1-2.1 us more per call
 * on the H200 machine, which the C++ yardstick (scripts/trtexec_loop.cu) does not pay. bench_gpu.py compiles
 * this CPython extension and binds launch(prepared, stream) to a stand-in context's prepared kernel launch,
 * so that trtkit's loop and the C++ loop enqueue the same kernel through native code.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <cuda.h>

typedef struct {  /* what bench_gpu.py fills from the stand-in's prepared Launch */
    CUfunction function;
    unsigned int grid, block;
    void** params;
} Prepared;

/* launch(prepared_address, stream_handle) -> bool: the kernel on that stream, False when the driver refuses. */
static PyObject* launch(PyObject* self, PyObject* const* args, Py_ssize_t nargs) {
    (void)self;
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "launch(prepared_address, stream_handle)");
        return NULL;
    }
    const Prepared* p = (const Prepared*)PyLong_AsVoidPtr(args[0]);
    if (p == NULL) {
        if (!PyErr_Occurred()) PyErr_SetString(PyExc_ValueError, "launch: null prepared address");
        return NULL;
    }
    CUstream stream = (CUstream)PyLong_AsVoidPtr(args[1]);
    if (stream == NULL && PyErr_Occurred()) return NULL;  /* 0 is the legacy default stream: allowed */
    CUresult status = cuLaunchKernel(p->function, p->grid, 1, 1, p->block, 1, 1, 0, stream, p->params, NULL);
    return PyBool_FromLong(status == CUDA_SUCCESS);
}

static PyMethodDef methods[] = {
    {"launch", (PyCFunction)(void (*)(void))launch, METH_FASTCALL, "launch(prepared_address, stream_handle) -> bool"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "standin_enqueue", NULL, -1, methods};

PyMODINIT_FUNC PyInit_standin_enqueue(void) { return PyModule_Create(&module); }
