// oneDNN (libdnnl-dev 2.6) as a candidate convolution backend, measured outside GeoLens.
//
// Times one forward convolution (inference, bias, "same" padding) of N x C x H x H into O channels
// with a K x K kernel and stride S on 2 OpenMP threads, best of 8:
//   blocked = 1: oneDNN picks its layouts (jit:avx2 with nChw8c); the input is reordered from NCHW
//                and the output back to NCHW around every call, as a per-op backend must do
//   blocked = 0: NCHW in and out (oneDNN then runs im2col + its own GEMM)
// Build and run next to `geolens-bench conv` (same shape: conv3x3_64to64_64px_b8):
//   apt-get install -y libdnnl-dev
//   gcc -O2 scripts/bench/dnnl_conv.c -o /tmp/dnnl_conv -ldnnl -fopenmp
//   /tmp/dnnl_conv 8 64 64 64 3 1 1; /tmp/dnnl_conv 8 64 64 64 3 1 0
// Results are in docs/benchmarks.md.
#include <dnnl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <omp.h>
#define CHECK(f) do { dnnl_status_t s_ = f; if (s_ != dnnl_success) { printf("fail %s: %d\n", #f, s_); exit(1);} } while(0)
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec*1e3+t.tv_nsec*1e-6;}
int main(int argc,char**argv){
  int N=atoi(argv[1]),C=atoi(argv[2]),H=atoi(argv[3]),O=atoi(argv[4]),K=atoi(argv[5]),S=atoi(argv[6]); int blocked=atoi(argv[7]);
  int P=K/2, OH=(H+2*P-K)/S+1;
  omp_set_num_threads(2);
  dnnl_engine_t eng; CHECK(dnnl_engine_create(&eng, dnnl_cpu, 0));
  dnnl_stream_t st; CHECK(dnnl_stream_create(&st, eng, dnnl_stream_default_flags));
  dnnl_memory_desc_t src_plain, dst_plain, w_plain, b_md, src_any, dst_any, w_any;
  dnnl_dims_t sd={N,C,H,H}, dd={N,O,OH,OH}, wd={O,C,K,K}, bd={O};
  CHECK(dnnl_memory_desc_init_by_tag(&src_plain,4,sd,dnnl_f32,dnnl_nchw));
  CHECK(dnnl_memory_desc_init_by_tag(&dst_plain,4,dd,dnnl_f32,dnnl_nchw));
  CHECK(dnnl_memory_desc_init_by_tag(&w_plain,4,wd,dnnl_f32,dnnl_oihw));
  CHECK(dnnl_memory_desc_init_by_tag(&b_md,1,bd,dnnl_f32,dnnl_x));
  CHECK(dnnl_memory_desc_init_by_tag(&src_any,4,sd,dnnl_f32,dnnl_format_tag_any));
  CHECK(dnnl_memory_desc_init_by_tag(&dst_any,4,dd,dnnl_f32,dnnl_format_tag_any));
  CHECK(dnnl_memory_desc_init_by_tag(&w_any,4,wd,dnnl_f32,dnnl_format_tag_any));
  dnnl_dims_t strides={S,S}, pads={P,P};
  dnnl_convolution_desc_t cd;
  CHECK(dnnl_convolution_forward_desc_init(&cd, dnnl_forward_inference, dnnl_convolution_direct,
     blocked? &src_any:&src_plain, &w_any, &b_md, blocked? &dst_any:&dst_plain, strides, pads, pads));
  dnnl_primitive_desc_t pd; CHECK(dnnl_primitive_desc_create(&pd,&cd,NULL,eng,NULL));
  const char* impl; dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str,0,&impl);
  const dnnl_memory_desc_t *src_md=dnnl_primitive_desc_query_md(pd,dnnl_query_src_md,0);
  const dnnl_memory_desc_t *dst_md=dnnl_primitive_desc_query_md(pd,dnnl_query_dst_md,0);
  const dnnl_memory_desc_t *wmd=dnnl_primitive_desc_query_md(pd,dnnl_query_weights_md,0);
  dnnl_primitive_t conv; CHECK(dnnl_primitive_create(&conv,pd));
  dnnl_memory_t srcp,dstp,srcb,dstb,wm,bm,wp;
  CHECK(dnnl_memory_create(&srcp,&src_plain,eng,DNNL_MEMORY_ALLOCATE));
  CHECK(dnnl_memory_create(&dstp,&dst_plain,eng,DNNL_MEMORY_ALLOCATE));
  CHECK(dnnl_memory_create(&srcb,src_md,eng,DNNL_MEMORY_ALLOCATE));
  CHECK(dnnl_memory_create(&dstb,dst_md,eng,DNNL_MEMORY_ALLOCATE));
  CHECK(dnnl_memory_create(&wp,&w_plain,eng,DNNL_MEMORY_ALLOCATE));
  CHECK(dnnl_memory_create(&wm,wmd,eng,DNNL_MEMORY_ALLOCATE));
  CHECK(dnnl_memory_create(&bm,&b_md,eng,DNNL_MEMORY_ALLOCATE));
  float*x; dnnl_memory_get_data_handle(srcp,(void**)&x); for(long i=0;i<(long)N*C*H*H;i++) x[i]=(i%7)*0.1f;
  // reorder weights once
  dnnl_primitive_desc_t rpd; dnnl_primitive_t rw;
  CHECK(dnnl_reorder_primitive_desc_create(&rpd,&w_plain,eng,wmd,eng,NULL)); CHECK(dnnl_primitive_create(&rw,rpd));
  dnnl_exec_arg_t ra[2]={{DNNL_ARG_FROM,wp},{DNNL_ARG_TO,wm}}; CHECK(dnnl_primitive_execute(rw,st,2,ra)); dnnl_stream_wait(st);
  dnnl_primitive_t rs=NULL, rd=NULL;
  if(blocked){ dnnl_primitive_desc_t p1,p2;
    CHECK(dnnl_reorder_primitive_desc_create(&p1,&src_plain,eng,src_md,eng,NULL)); CHECK(dnnl_primitive_create(&rs,p1));
    CHECK(dnnl_reorder_primitive_desc_create(&p2,dst_md,eng,&dst_plain,eng,NULL)); CHECK(dnnl_primitive_create(&rd,p2)); }
  double best=1e9, bestc=1e9;
  for(int it=0;it<8;it++){
    double t0=now();
    if(blocked){ dnnl_exec_arg_t a[2]={{DNNL_ARG_FROM,srcp},{DNNL_ARG_TO,srcb}}; dnnl_primitive_execute(rs,st,2,a);}
    double t1=now();
    dnnl_exec_arg_t args[4]={{DNNL_ARG_SRC,blocked?srcb:srcp},{DNNL_ARG_WEIGHTS,wm},{DNNL_ARG_BIAS,bm},{DNNL_ARG_DST,blocked?dstb:dstp}};
    dnnl_primitive_execute(conv,st,4,args); dnnl_stream_wait(st);
    double t2=now();
    if(blocked){ dnnl_exec_arg_t a[2]={{DNNL_ARG_FROM,dstb},{DNNL_ARG_TO,dstp}}; dnnl_primitive_execute(rd,st,2,a);}
    dnnl_stream_wait(st); double t3=now();
    if(t3-t0<best)best=t3-t0; if(t2-t1<bestc)bestc=t2-t1;
  }
  printf("%s N%d C%d H%d O%d K%d S%d: total %.2f ms, conv only %.2f ms\n", impl,N,C,H,O,K,S,best,bestc);
}
