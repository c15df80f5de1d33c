/* faults.c - what a page fault costs on this host: first write to fresh
 * anonymous memory, the same pre-faulted (MADV_POPULATE_WRITE, MAP_POPULATE),
 * and the first write after fork. Build: cc -O2 -o faults bench/faults.c */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif
static double now(void){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec*1e6+t.tv_nsec/1e3;}
int main(){
  int N=64; size_t L=N*4096;
  for(int k=0;k<6;k++){
  char *p=mmap(NULL,L,PROT_READ|PROT_WRITE,MAP_PRIVATE|MAP_ANONYMOUS,-1,0);
  double t0=now(); for(int i=0;i<N;i++) p[i*4096]=1; double t1=now();
  char *q=mmap(NULL,L,PROT_READ|PROT_WRITE,MAP_PRIVATE|MAP_ANONYMOUS,-1,0);
  double t2=now(); madvise(q,L,MADV_POPULATE_WRITE); for(int i=0;i<N;i++) q[i*4096]=1; double t3=now();
  char *r=mmap(NULL,L,PROT_READ|PROT_WRITE,MAP_PRIVATE|MAP_ANONYMOUS|MAP_POPULATE,-1,0);
  double t4=now();
  /* COW after fork */
  pid_t c=fork(); if(c==0){ _exit(0);} 
  double t5=now(); for(int i=0;i<N;i++) p[i*4096]=2; double t6=now();
  waitpid(c,NULL,0);
  printf("touch %.1f us/page  populate %.1f us/page  mmap_populate %.1f us/page  wp-after-fork %.1f us/page\n",(t1-t0)/N,(t3-t2)/N,(t4-t3)/N,(t6-t5)/N);
  munmap(p,L);munmap(q,L);munmap(r,L);
  }
}
